/** Registry entries as Redis holds them, good and bad: the unit test's table and the fuzz seeds. */
export interface EntryCase {
  name: string;
  text: string;
  /** What the entry decodes as. */
  holder: boolean;
  node: boolean;
}

const id = '"nodeId":"A","region":"eu","datacenter":"eu-1","address":"127.0.0.1:8080"';

export const ENTRY_CASES: EntryCase[] = [
  { name: "origin holder", text: `{${id},"role":"origin","hops":0,"upstream":null,"load":3}`, holder: true, node: false },
  { name: "relay holder", text: `{${id},"role":"relay","hops":2,"upstream":"B","load":0.5}`, holder: true, node: false },
  { name: "node", text: `{${id},"load":7,"lastSeenMs":1790000000000}`, holder: false, node: true },
  { name: "origin with an upstream", text: `{${id},"role":"origin","hops":0,"upstream":"B","load":0}`, holder: false, node: false },
  { name: "relay without hops", text: `{${id},"role":"relay","hops":0,"upstream":"B","load":0}`, holder: false, node: false },
  { name: "unknown role", text: `{${id},"role":"edge","hops":1,"upstream":"B","load":0}`, holder: false, node: false },
  { name: "negative load", text: `{${id},"load":-1,"lastSeenMs":1}`, holder: false, node: false },
  { name: "fractional hops", text: `{${id},"role":"relay","hops":1.5,"upstream":"B","load":0}`, holder: false, node: false },
  { name: "empty node id", text: '{"nodeId":"","region":"eu","datacenter":"eu-1","address":"x:1","load":0,"lastSeenMs":0}', holder: false, node: false },
  { name: "not JSON", text: "{nodeId: A", holder: false, node: false },
  { name: "JSON but not an object", text: "[1,2,3]", holder: false, node: false },
  { name: "null", text: "null", holder: false, node: false },
  { name: "empty", text: "", holder: false, node: false },
];
