// blobs: stores files as content-addressed blobs on the node and keeps a
// replicated catalogue name → blob id (hex) in state.

import { env, blobs, hex, state, json, utf8, Args, JsonValue } from "../../../sdk/assemblyscript/assembly";

const CATALOGUE_KEY = "catalogue";

/** init {} → null */
export function init(): void {
  Args.none("init");
  state.save(CATALOGUE_KEY, JsonValue.object());
  env.valueReturnString("null");
}

/** upload {name, content} → blob id (hex). Emits FileUploaded {name, blob_id, size}. */
export function upload(): void {
  const args = Args.parse("upload");
  const name = args.string("name");
  const content = args.stringBytes("content");
  args.done();
  const id = hex.encode(blobs.store(content));
  const catalogue = state.load(CATALOGUE_KEY, JsonValue.object());
  catalogue.set(name, JsonValue.string(id));
  state.save(CATALOGUE_KEY, catalogue);
  const event = JsonValue.object()
    .set("name", JsonValue.string(name))
    .set("blob_id", JsonValue.string(id))
    .set("size", JsonValue.i64(content.length));
  env.emit("FileUploaded", event.toBytes());
  env.valueReturnString(json.quote(id));
}

/** download {name} → content | null, read back from the blob store. */
export function download(): void {
  const args = Args.parse("download");
  const name = args.string("name");
  args.done();
  const catalogue = state.load(CATALOGUE_KEY, JsonValue.object());
  const id = catalogue.get(name);
  if (id === null) {
    env.valueReturnString("null");
    return;
  }
  const content = blobs.load(hex.decode(id.asString(), "blob id"));
  const text = utf8.tryDecode(content);
  env.valueReturnString(text === null ? "null" : json.quote(text));
}

/** files {} → {name: blob id} */
export function files(): void {
  Args.none("files");
  env.valueReturn(state.load(CATALOGUE_KEY, JsonValue.object()).toBytes());
}
