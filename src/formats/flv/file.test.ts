import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProtocolError } from "../../core/errors.ts";
import { hex } from "../../codecs/bits.ts";
import { describeAac } from "../../codecs/aac.ts";
import { avccHasIdr, describeAvcConfig, parseAvcConfig } from "../../codecs/h264.ts";
import { FILE_BAD_CASES, sampleFile } from "./file.cases.ts";
import { decodeFlvTag, FlvFileTag, readFlvFile, TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO, type FlvHeader } from "./file.ts";
import { decodeAudioTag, decodeVideoTag, FlvTag, tagPayload } from "./tag.ts";

describe("FLV files", () => {
  test("writer → reader round trip, with extended timestamps", () => {
    const { file, tags } = sampleFile();
    const header: FlvHeader = { version: 0, hasAudio: false, hasVideo: false };
    const read = [...readFlvFile(file, header)];
    expect(header).toEqual({ version: 1, hasAudio: true, hasVideo: true });
    expect(read.length).toBe(tags.length);
    read.forEach((t, i) => {
      expect([t.type, t.timestampMs, hex(t.body)]).toEqual([tags[i]!.type, tags[i]!.timestampMs, hex(tags[i]!.body)]);
    });
    // PreviousTagSize of the last tag: 11 + its body length
    const last = tags[tags.length - 1]!.body.length;
    expect(new DataView(file.buffer).getUint32(file.length - 4)).toBe(11 + last);
  });

  test("incremental decode needs whole tags; a cut tail ends the file", () => {
    const { file, tags } = sampleFile();
    const t = new FlvFileTag();
    expect(decodeFlvTag(file, 13, t)).toBe(11 + tags[0]!.body.length + 4);
    expect(decodeFlvTag(file.subarray(0, 13 + 11 + tags[0]!.body.length + 3), 13, t)).toBe(0);
    expect([...readFlvFile(file.subarray(0, file.length - 1))].length).toBe(tags.length - 1);
  });

  for (const c of FILE_BAD_CASES) {
    test(`rejects ${c.name}`, () => {
      let err: unknown;
      try {
        [...readFlvFile(c.file)];
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(c.code);
    });
  }
});

const ffmpeg = Bun.which("ffmpeg");
const ffprobe = Bun.which("ffprobe");

describe("an FLV made by ffmpeg", () => {
  // npm test installs ffmpeg (scripts/ensure-peers.sh): a missing peer is a failure, not a skip.
  test("decodes fully: configs, frame counts, first key frame", () => {
    if (!ffmpeg || !ffprobe) throw new Error("ffmpeg/ffprobe not found: run the tests with npm test, which installs them");
    const dir = mkdtempSync(join(tmpdir(), "spate-flv-"));
    try {
      const path = join(dir, "x.flv");
      const made = Bun.spawnSync([ffmpeg!, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
        "-f", "lavfi", "-i", "sine", "-t", "1", "-c:v", "libx264", "-c:a", "aac", path]);
      expect(made.exitCode).toBe(0);
      const probe = Bun.spawnSync([ffprobe!, "-v", "error", "-count_packets", "-show_entries", "stream=codec_type,nb_read_packets", "-of", "csv=p=0", path]);
      const counts = Object.fromEntries(probe.stdout.toString().trim().split("\n").map((l) => l.split(",")).map(([k, v]) => [k, Number(v)]));

      const tag = new FlvTag();
      let video = 0, audio = 0, scripts = 0;
      let firstVideoKey: boolean | null = null;
      let lengthSize = 0;
      let lastDts = -1;
      for (const t of readFlvFile(new Uint8Array(readFileSync(path)))) {
        if (t.type === TAG_SCRIPT) {
          scripts++;
          continue;
        }
        if (t.type === TAG_VIDEO) {
          decodeVideoTag(t.body, tag);
          expect(tag.codec).toBe("h264");
          if (tag.kind === "config") {
            const info = describeAvcConfig(tagPayload(t.body, tag));
            expect([info.width, info.height, info.frameRate]).toEqual([320, 240, 30]);
            lengthSize = parseAvcConfig(tagPayload(t.body, tag)).nalLengthSize;
          } else if (tag.kind === "frame") {
            expect(lengthSize).toBe(4); // the config came first
            firstVideoKey ??= tag.keyframe && avccHasIdr(tagPayload(t.body, tag), lengthSize);
            expect(tag.keyframe).toBe(avccHasIdr(tagPayload(t.body, tag), lengthSize));
            expect(t.timestampMs).toBeGreaterThan(lastDts);
            expect(tag.cts).toBeGreaterThanOrEqual(0);
            lastDts = t.timestampMs;
            video++;
          }
        } else if (t.type === TAG_AUDIO) {
          decodeAudioTag(t.body, tag);
          expect(tag.codec).toBe("aac");
          if (tag.kind === "config") expect(describeAac(tagPayload(t.body, tag))).toMatchObject({ codecString: "mp4a.40.2", sampleRate: 44100, channels: 1 });
          else if (tag.kind === "frame") audio++;
        }
      }
      expect(scripts).toBe(1);
      expect(firstVideoKey).toBe(true);
      expect(video).toBe(counts.video);
      expect(audio).toBe(counts.audio);
      expect(video).toBe(30);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
