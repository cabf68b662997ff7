import type { Logger } from "../core/log.ts";
import { PathTable } from "../core/path-table.ts";
import type { Publisher, Stream } from "../core/stream.ts";
import type { Registry } from "./registry.ts";

/**
 * The path table of a cluster node: a path published here (by any protocol but the relay) is
 * announced as its origin (hops 0), and withdrawn when its publisher goes. Relay pulls announce
 * themselves (RelaySource). The registry is set once the HTTP port, part of the node's address, is known.
 */
export class ClusterPathTable extends PathTable {
  registry: Registry | null = null;
  log: Logger | null = null;

  override publish(path: string, publisher: Publisher): Stream {
    const stream = super.publish(path, publisher);
    if (publisher.protocol !== "relay" && this.registry) {
      this.registry.announce(path, { role: "origin", hops: 0, upstream: null }).catch((e) => this.log?.warn("origin announce failed", { path, error: String(e) }));
    }
    return stream;
  }

  override unpublish(stream: Stream, publisher: Publisher): void {
    const current = stream.publisher === publisher;
    super.unpublish(stream, publisher);
    if (current && publisher.protocol !== "relay" && this.registry) {
      this.registry.withdraw(stream.path).catch((e) => this.log?.warn("origin withdraw failed", { path: stream.path, error: String(e) }));
    }
  }
}
