package io.capybara.cli;

import io.capybara.lab.Lab;
import io.capybara.lab.LabOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./capybara lab}: unmodified Linux clients (wrk or curl) in a network namespace against
 * a Java rack (switch + servers) that migrates their connections; see {@link Lab}.
 */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "Run wrk (or curl) in a network namespace against one server of a Java rack that "
                + "migrates the client's keep-alive connections among its servers (needs root).")
public final class LabCommand implements Callable<Integer> {
    static final class Port {
        @Option(names = "--tap", description = "The switch reaches the client through a TAP (default).")
        boolean tap;
        @Option(names = "--packet", description = "The switch reaches the client through AF_PACKET on a veth.")
        boolean packet;
    }

    @ArgGroup(exclusive = true)
    Port port;
    @Option(names = "--client", defaultValue = "wrk", description = "wrk, curl, or openssl (s_client; needs --tls) "
            + "(default: ${DEFAULT-VALUE}).")
    String client;
    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "20",
            description = "wrk run time in seconds; wrk takes whole seconds (default: ${DEFAULT-VALUE}).")
    double duration;
    @Option(names = "--connections", defaultValue = "128", description = "wrk connections (default: ${DEFAULT-VALUE}).")
    int connections;
    @Option(names = "--threads", defaultValue = "2", description = "wrk threads (default: ${DEFAULT-VALUE}).")
    int threads;
    @Option(names = "--servers", defaultValue = "3", description = "Java servers behind the switch (default: ${DEFAULT-VALUE}).")
    int servers;
    @Option(names = "--netem", description = "tc netem arguments for the client's interface, e.g. \"loss 1%%\" (kernels without sch_netem: 'loss P%%' only, through nftables).")
    String netem;
    @Option(names = "--migrate-every-us", defaultValue = "20000",
            description = "Manual trigger: every this many microseconds each server migrates one of its live "
                    + "connections, round-robin; 0 = load policy only (default: ${DEFAULT-VALUE}).")
    long migrateEveryUs;
    @Option(names = "--curl-requests", defaultValue = "12", description = "curl: requests on the one connection (default: ${DEFAULT-VALUE}).")
    int curlRequests;
    @Option(names = "--curl-rate", defaultValue = "4", description = "curl: requests per second (default: ${DEFAULT-VALUE}).")
    int curlRate;
    @Option(names = "--pcap", description = "Record the client port's frames into this pcap file.")
    Path pcap;
    @Option(names = "--tls", description = "HTTPS: the servers speak TLS 1.3 on port 443 (self-signed certificate; "
            + "curl runs with --insecure) and migrate the TLS sessions with the connections.")
    boolean tls;
    @Option(names = "--keylog", description = "With --tls: write the NSS key log (SSLKEYLOGFILE format) here, so that "
            + "tshark -o tls.keylog_file:FILE decrypts the --pcap capture.")
    Path keylog;
    @Mixin
    JsonFlag json;
    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;
    @Option(names = "--vip", description = "Load-balancer mode: the client connects to the VIP 10.77.250.100, the switch "
            + "places each connection (with --pcap, the servers' side goes to FILE.servers.pcap).")
    boolean vip;

    @Override
    public Integer call() throws Exception {
        Args.oneOf("--client", client, "wrk", "curl", "openssl");
        if (client.equals("openssl") && !tls) {
            throw CliException.usage("--client openssl", "s_client speaks TLS: add --tls");
        }
        if (keylog != null && !tls) {
            throw CliException.usage("--keylog", "only with --tls");
        }
        Args.wholeSeconds("--duration", duration, 1);
        Args.atLeast("--connections", connections, 1);
        Args.atLeast("--threads", threads, 1);
        Args.between("--servers", servers, 2, 64);
        Args.atLeast("--migrate-every-us", migrateEveryUs, 0);
        Args.atLeast("--curl-requests", curlRequests, 1);
        Args.atLeast("--curl-rate", curlRate, 1);
        LabOptions o = new LabOptions(client, (int) duration, connections, Math.min(threads, connections), servers, netem,
                port != null && port.packet, migrateEveryUs, curlRequests, curlRate, pcap, tls, keylog, vip);
        String problem = Lab.problem(o);
        if (problem != null) {
            throw CliException.usage("cannot run", problem);
        }
        Map<String, Object> r = Lab.run(o, quiet ? new java.io.PrintStream(java.io.OutputStream.nullOutputStream()) : System.err);
        if (json.on) {
            System.out.println(Json.write(r));
        } else {
            System.out.print(r.get("output"));
            System.out.println();
            r.forEach((k, v) -> {
                if (!k.equals("output") && !k.equals("counters")) {
                    System.out.println(k + ": " + v);
                }
            });
            System.out.println("counters: " + r.get("counters"));
        }
        return ((Number) r.get("errors")).longValue() == 0 ? 0 : 1;
    }
}
