/*
 * Reference for the Java TCP_REPAIR baseline: the same system calls as TcpRepairMigrator
 * (export: repair on, both queues' seq and bytes, TCP_INFO, MSS, timestamp, repair window,
 * addresses, close; import: socket, reuseaddr, repair on, bind, queue seqs, MSS, timestamp,
 * connect, repair options, both queues, window, repair off), in C, on one loopback connection
 * blocked both ways by nft, back to back. No content checks: it bounds what the kernel costs.
 * Usage: repair_ref MIGRATIONS QUEUE_BYTES. Prints one line: key=value pairs, nanoseconds.
 * Run by io.capybara.eval.linux.CReference (compiled with gcc -O2 at run time).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

#define CK(x) do { if ((x) < 0) { perror(#x); cleanup(); exit(1); } } while (0)
static char table[64];
static void cleanup(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "nft delete table inet %s 2>/dev/null", table);
    if (system(cmd)) { /* already gone */ }
}
static int cmp(const void *a, const void *b) {
    long x = *(const long *) a, y = *(const long *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2000, q = argc > 2 ? atoi(argv[2]) : 1024, warm = 500;
    if (n < 1 || q < 0 || q > 65536) { fprintf(stderr, "usage: repair_ref MIGRATIONS QUEUE_BYTES\n"); return 2; }
    snprintf(table, sizeof table, "cjcref%d", (int) getpid());
    struct sockaddr_in s = {.sin_family = AF_INET}, c = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.77.0.1", &s.sin_addr);
    inet_pton(AF_INET, "127.77.0.2", &c.sin_addr);
    int one = 1, on = 1, off = 0, mss = 1460;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    CK(l);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, 4);
    CK(bind(l, (void *) &s, sizeof s));
    setsockopt(l, SOL_TCP, TCP_MAXSEG, &mss, 4);
    CK(listen(l, 4));
    socklen_t sl = sizeof s;
    getsockname(l, (void *) &s, &sl);
    int cl = socket(AF_INET, SOCK_STREAM, 0);
    CK(bind(cl, (void *) &c, sizeof c));
    CK(connect(cl, (void *) &s, sizeof s));
    int fd = accept(l, 0, 0);
    CK(fd);
    static char buf[65536], sq[65536], rq[65536];
    memset(buf, 7, sizeof buf);
    if (q) { CK(write(cl, buf, q)); usleep(20000); }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "nft add table inet %s && nft add chain inet %s input "
             "'{ type filter hook input priority filter; policy accept; }' && "
             "nft add rule inet %s input ip saddr 127.77.0.0/16 tcp sport %d drop && "
             "nft add rule inet %s input ip saddr 127.77.0.0/16 tcp dport %d drop",
             table, table, table, ntohs(s.sin_port), table, ntohs(s.sin_port));
    if (system(cmd)) { fprintf(stderr, "nft failed\n"); cleanup(); return 1; }
    if (q) { CK(write(fd, buf, q)); usleep(20000); }
    long *tot = malloc(sizeof(long) * n), *ex = malloc(sizeof(long) * n);
    for (int i = 0; i < n + warm; i++) {
        long t0 = now_ns();
        int v;
        socklen_t vl;
        CK(setsockopt(fd, SOL_TCP, TCP_REPAIR, &on, 4));
        v = TCP_SEND_QUEUE; setsockopt(fd, SOL_TCP, TCP_REPAIR_QUEUE, &v, 4);
        unsigned sseq; vl = 4; getsockopt(fd, SOL_TCP, TCP_QUEUE_SEQ, &sseq, &vl);
        int sb; ioctl(fd, SIOCOUTQ, &sb);
        if (sb) recv(fd, sq, sb, MSG_PEEK | MSG_DONTWAIT);
        v = TCP_RECV_QUEUE; setsockopt(fd, SOL_TCP, TCP_REPAIR_QUEUE, &v, 4);
        unsigned rseq; vl = 4; getsockopt(fd, SOL_TCP, TCP_QUEUE_SEQ, &rseq, &vl);
        int rb; ioctl(fd, SIOCINQ, &rb);
        if (rb) recv(fd, rq, rb, MSG_PEEK | MSG_DONTWAIT);
        struct tcp_info ti; vl = 104; getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &vl);
        int m; vl = 4; getsockopt(fd, SOL_TCP, TCP_MAXSEG, &m, &vl);
        unsigned ts; vl = 4; getsockopt(fd, SOL_TCP, TCP_TIMESTAMP, &ts, &vl);
        struct tcp_repair_window w; vl = sizeof w; getsockopt(fd, SOL_TCP, TCP_REPAIR_WINDOW, &w, &vl);
        struct sockaddr_in la, ra;
        sl = sizeof la; getsockname(fd, (void *) &la, &sl);
        sl = sizeof ra; getpeername(fd, (void *) &ra, &sl);
        close(fd);
        long t1 = now_ns();
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CK(fd);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4);
        setsockopt(fd, SOL_TCP, TCP_REPAIR, &on, 4);
        CK(bind(fd, (void *) &la, sizeof la));
        v = TCP_SEND_QUEUE; setsockopt(fd, SOL_TCP, TCP_REPAIR_QUEUE, &v, 4);
        v = sseq - sb; setsockopt(fd, SOL_TCP, TCP_QUEUE_SEQ, &v, 4);
        v = TCP_RECV_QUEUE; setsockopt(fd, SOL_TCP, TCP_REPAIR_QUEUE, &v, 4);
        v = rseq - rb; setsockopt(fd, SOL_TCP, TCP_QUEUE_SEQ, &v, 4);
        setsockopt(fd, SOL_TCP, TCP_MAXSEG, &m, 4);
        setsockopt(fd, SOL_TCP, TCP_TIMESTAMP, &ts, 4);
        CK(connect(fd, (void *) &ra, sizeof ra));
        struct tcp_repair_opt o[4] = {{TCPOPT_MAXSEG, m},
                                      {TCPOPT_WINDOW, ti.tcpi_snd_wscale | (ti.tcpi_rcv_wscale << 16)},
                                      {TCPOPT_SACK_PERMITTED, 0}, {TCPOPT_TIMESTAMP, 0}};
        CK(setsockopt(fd, SOL_TCP, TCP_REPAIR_OPTIONS, o, sizeof o));
        v = TCP_SEND_QUEUE; setsockopt(fd, SOL_TCP, TCP_REPAIR_QUEUE, &v, 4);
        if (sb) send(fd, sq, sb, 0);
        v = TCP_RECV_QUEUE; setsockopt(fd, SOL_TCP, TCP_REPAIR_QUEUE, &v, 4);
        if (rb) send(fd, rq, rb, 0);
        setsockopt(fd, SOL_TCP, TCP_REPAIR_WINDOW, &w, sizeof w);
        CK(setsockopt(fd, SOL_TCP, TCP_REPAIR, &off, 4));
        long t2 = now_ns();
        if (i >= warm) { tot[i - warm] = t2 - t0; ex[i - warm] = t1 - t0; }
    }
    int a = -1, b = -1;
    ioctl(fd, SIOCOUTQ, &a);
    ioctl(fd, SIOCINQ, &b);
    cleanup();
    qsort(tot, n, sizeof(long), cmp);
    qsort(ex, n, sizeof(long), cmp);
    double mean = 0;
    for (int i = 0; i < n; i++) mean += tot[i];
    mean /= n;
    printf("count=%d queue_bytes=%d mean_ns=%.0f p50_ns=%ld p99_ns=%ld export_p50_ns=%ld send_queue_after=%d recv_queue_after=%d\n",
           n, q, mean, tot[n / 2], tot[(int) (n * 0.99)], ex[n / 2], a, b);
    return a == q && b == q ? 0 : 3;
}
