package io.capybara.io.linux;

/**
 * Child-JVM main for {@link TopologyTest}: builds a topology, prints its names and waits to be
 * terminated without closing it, so only the shutdown hook can clean up.
 */
public final class TopologyHookProbe {
    private TopologyHookProbe() {
    }

    public static void main(String[] args) throws Exception {
        Topology topo = Topology.create();
        String ns = topo.namespace();
        Topology.VethLink link = topo.veth(null, ns);
        System.out.println("READY " + ns + " " + link.rootEnd());
        System.out.flush();
        Thread.sleep(60_000);
    }
}
