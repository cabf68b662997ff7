import type { PathTable } from "../core/path-table.ts";
import { RelayIngest } from "../protocols/relay/ingest.ts";
import type { RelayServer } from "../protocols/relay/listener.ts";
import type { RelaySource } from "./relay-source.ts";

/** Relay counters for /api/v1/server: upstream dials and downstream connections of this node. */
export function relayJson(source: RelaySource, server: RelayServer) {
  return {
    pulls: source.pulls.size,
    upstreamDials: source.dials,
    downstreamConnections: [...server.connections].filter((ws) => ws.data.egress).length,
    downstreamAccepted: server.accepted,
    downstreamRefused: server.refused,
    /** Who pulls what from this node. */
    downstreams: [...server.connections].filter((ws) => ws.data.egress).map((ws) => ({ path: ws.data.path, node: ws.data.egress!.downstream })),
  };
}

/** Prometheus lines: per relayed stream, hop and end-to-end latency (p50/p99 of the newest frames), dials; per node, downstreams. */
export function relayMetricsText(paths: PathTable, source: RelaySource, server: RelayServer): string {
  const lines = [
    "# HELP spate_relay_hop_latency_ms Latency of the last relay hop (upstream send to local receipt), over the newest frames.",
    "# TYPE spate_relay_hop_latency_ms gauge",
  ];
  const e2e = [
    "# HELP spate_relay_end_to_end_latency_ms Latency from ingest at the origin to local receipt, over the newest frames.",
    "# TYPE spate_relay_end_to_end_latency_ms gauge",
  ];
  for (const s of paths.streams.values()) {
    const p = s.publisher;
    if (!(p instanceof RelayIngest)) continue;
    const hop = p.hop.summary();
    const all = p.endToEnd.summary();
    if (hop) lines.push(`spate_relay_hop_latency_ms{path="${s.path}",quantile="0.5"} ${hop.p50}`, `spate_relay_hop_latency_ms{path="${s.path}",quantile="0.99"} ${hop.p99}`);
    if (all) e2e.push(`spate_relay_end_to_end_latency_ms{path="${s.path}",quantile="0.5"} ${all.p50}`, `spate_relay_end_to_end_latency_ms{path="${s.path}",quantile="0.99"} ${all.p99}`);
  }
  const j = relayJson(source, server);
  lines.push(
    ...e2e,
    "# HELP spate_relay_upstream_dials_total Relay connections this node opened to upstream nodes.",
    "# TYPE spate_relay_upstream_dials_total counter",
    `spate_relay_upstream_dials_total ${j.upstreamDials}`,
    "# HELP spate_relay_downstream_connections Downstream nodes pulling from this node.",
    "# TYPE spate_relay_downstream_connections gauge",
    `spate_relay_downstream_connections ${j.downstreamConnections}`,
    "# HELP spate_relay_downstream_refused_total Relay pulls refused (authentication, loops, protocol).",
    "# TYPE spate_relay_downstream_refused_total counter",
    `spate_relay_downstream_refused_total ${j.downstreamRefused}`,
  );
  return lines.join("\n") + "\n";
}
