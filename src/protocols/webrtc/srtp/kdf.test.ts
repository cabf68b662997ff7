import { expect, test } from "bun:test";
import { deriveSessionKey } from "./kdf.ts";
import { LABEL_RTCP_ENCRYPTION, LABEL_RTCP_SALT, LABEL_RTP_AUTH, LABEL_RTP_ENCRYPTION, LABEL_RTP_SALT } from "./profile.ts";

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

test("RFC 3711 Appendix B.3: cipher key, cipher salt and the 94-byte auth key", () => {
  const key = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const salt = hex("0EC675AD498AFEEBB6960B3AABE6");
  expect(toHex(deriveSessionKey(key, salt, LABEL_RTP_ENCRYPTION, 16))).toBe("C61E7A93744F39EE10734AFE3FF7A087");
  expect(toHex(deriveSessionKey(key, salt, LABEL_RTP_SALT, 14))).toBe("30CBBC08863D8C85D49DB34A9AE1");
  expect(toHex(deriveSessionKey(key, salt, LABEL_RTP_AUTH, 94))).toBe(
    "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE" +
      "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25" +
      "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2",
  );
});

test("RFC 7714 §12: a 96-bit GCM master salt is zero-padded for the AES-CM PRF", () => {
  // The master key and salt of RFC 7714's test vectors (and RFC 9335 Appendix A.2).
  const key = hex("000102030405060708090a0b0c0d0e0f");
  const salt = hex("a0a1a2a3a4a5a6a7a8a9aaab");
  expect(toHex(deriveSessionKey(key, salt, LABEL_RTP_ENCRYPTION, 16))).toBe("077C6143CB221BC355FF23D5F984A16E");
  expect(toHex(deriveSessionKey(key, salt, LABEL_RTP_SALT, 12))).toBe("9AF3E95364EBAC9C99C5A7C4");
  expect(toHex(deriveSessionKey(key, salt, LABEL_RTCP_ENCRYPTION, 16))).toBe("615DCD9042600666F6FD4D9E4FE4519F");
  expect(toHex(deriveSessionKey(key, salt, LABEL_RTCP_SALT, 12))).toBe("FCCA937B9112A500DAC72269");
});
