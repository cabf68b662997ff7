/**
 * One entry point from a track's (codec, config) to what the codec helpers can say about it.
 *
 * It throws ProtocolError("codec", ...) on a malformed or missing configuration rather than returning
 * `{}`: the caller (an ingest) decides whether that closes the session, and the error carries the
 * reason with its numbers. MP3 needs no configuration; its info comes from the container.
 */
import { ProtocolError } from "../core/errors.ts";
import type { Codec, TrackInfo } from "../core/track.ts";
import { describeAac } from "./aac.ts";
import { describeAv1Config } from "./av1.ts";
import { describeAvcConfig } from "./h264.ts";
import { describeHevcConfig } from "./h265.ts";
import { describeOpus } from "./opus.ts";
import { describeVpcConfig } from "./vp9.ts";

export function describeConfig(codec: Codec, config: Uint8Array): TrackInfo {
  switch (codec) {
    case "h264":
      return describeAvcConfig(config);
    case "h265":
      return describeHevcConfig(config);
    case "av1":
      return describeAv1Config(config);
    case "vp9":
      return describeVpcConfig(config, "vp09");
    case "vp8":
      return config.length > 0 ? describeVpcConfig(config, "vp08") : { codecString: "vp8" };
    case "aac":
      return describeAac(config);
    case "opus":
      return describeOpus(config);
    case "mp3":
      return { codecString: "mp3" };
    default:
      throw new ProtocolError("codec", "unsupported", `no configuration parser for codec ${String(codec)}`);
  }
}
