// collaborative-editor: one shared plain-text document on the host's RGA text
// CRDT. Concurrent edits from every member merge (docs/crdt.md); positions and
// lengths count Unicode code points.
//
//   insert {pos, text}      -> null     emits "Inserted"
//   delete {pos, length}    -> null     emits "Deleted"
//   get_text {}             -> string
//   len {}                  -> number

import { env, utf8, Args, JsonWriter, Text } from "../../../sdk/assemblyscript/assembly";

function doc(): Text {
  return Text.named("document");
}

export function insert(): void {
  const args = Args.parse("insert");
  const pos = args.u64("pos");
  const text = args.string("text");
  args.done();
  const d = doc();
  if (text.length == 0) env.panic("insert: text is empty");
  if (pos > d.length) env.panic("insert: pos " + pos.toString() + " is past the end (" + d.length.toString() + ")");
  d.insert(pos, text);
  env.emit("Inserted", utf8.encode(text));
  env.valueReturnString("null");
}

function deleteRange(): void {
  const args = Args.parse("delete");
  const pos = args.u64("pos");
  const length = args.u64("length");
  args.done();
  const d = doc();
  if (length == 0 || pos + length > d.length) {
    env.panic("delete: range " + pos.toString() + "+" + length.toString() + " is outside the text (" + d.length.toString() + ")");
  }
  d.delete(pos, length);
  env.emit("Deleted", new Uint8Array(0));
  env.valueReturnString("null");
}

export function get_text(): void {
  Args.none("get_text");
  const w = new JsonWriter(64);
  w.stringUtf8(doc().getBytes());
  env.valueReturn(w.toBytes());
}

export function len(): void {
  Args.none("len");
  env.valueReturnString(doc().length.toString());
}

// "delete" is a reserved word in AssemblyScript: export the function under the method's name.
export { deleteRange as delete };
