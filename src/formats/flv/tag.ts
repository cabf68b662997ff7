/**
 * FLV tag bodies — which are also RTMP audio (type 8) and video (type 9) message payloads — decoded
 * to one reusable FlvTag and encoded header-first for the RTMP/FLV writers.
 *
 * Enhanced RTMP v2 multitrack messages are accepted: the first track of the message is decoded and
 * its id reported in `tag.trackId`; the other tracks of a ManyTracks message are skipped.
 */
export * from "./tag-common.ts";
export * from "./video.ts";
export * from "./audio.ts";
