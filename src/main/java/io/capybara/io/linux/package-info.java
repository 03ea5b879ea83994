/**
 * Linux frame channels through FFM (java.lang.foreign, no JNI): {@link io.capybara.io.linux.TapChannel}
 * (a TAP device) and {@link io.capybara.io.linux.PacketChannel} (AF_PACKET on an interface), the
 * system-call bindings they share ({@link io.capybara.io.linux.LinuxCalls}), and
 * {@link io.capybara.io.linux.Topology}, a throw-away network of namespaces, veths and TAPs
 * for tests and the CLI. A PacketChannel opened with offload puts a virtio_net_hdr in front of
 * every frame (PACKET_VNET_HDR): large TCP segments go down as one frame each for the kernel
 * to cut (GSO) and checksum, and received frames come up to 16 per recvmmsg(2) system call.
 * Everything here needs root or CAP_NET_ADMIN at run time; tests skip
 * without it.
 */
package io.capybara.io.linux;
