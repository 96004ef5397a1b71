// private-data: secrets kept in node-local private storage (never replicated,
// not in the state root) next to a replicated, public count of how many
// secrets were stored. Shows the split between the two stores.

import { env, storage, privateStorage, state, json, Args, JsonValue, JsonWriter } from "../../../sdk/assemblyscript/assembly";

const SECRET_PREFIX = "secret:";
const STATS_KEY = "stats";

/** init {} → null */
export function init(): void {
  Args.none("init");
  state.save(STATS_KEY, JsonValue.object().set("stored", JsonValue.i64(0)));
  env.valueReturnString("null");
}

/** set_secret {key, value} → null. The value stays on this node; only the count replicates. */
export function set_secret(): void {
  const args = Args.parse("set_secret");
  const key = args.string("key");
  const value = args.string("value");
  args.done();
  if (!privateStorage.writeString(SECRET_PREFIX + key, value)) env.panic("this node offers no private storage");
  const stats = state.load(STATS_KEY, JsonValue.object().set("stored", JsonValue.i64(0)));
  const stored = I64.parseInt(stats.get("stored")!.asNumberText());
  stats.set("stored", JsonValue.i64(stored + 1));
  state.save(STATS_KEY, stats);
  env.emit("SecretStored", new JsonWriter().beginObject().key("key").string(key).endObject().toBytes());
  env.valueReturnString("null");
}

/** get_secret {key} → string | null (from this node's private storage). */
export function get_secret(): void {
  const args = Args.parse("get_secret");
  const key = args.string("key");
  args.done();
  const value = privateStorage.readString(SECRET_PREFIX + key);
  env.valueReturnString(value === null ? "null" : json.quote(value));
}

/** stats {} → {stored} (replicated state). */
export function stats(): void {
  Args.none("stats");
  const stats = state.load(STATS_KEY, JsonValue.object().set("stored", JsonValue.i64(0)));
  env.valueReturn(stats.toBytes());
}

/** has_public_copy {key} → bool: whether the secret leaked into replicated storage (it never does). */
export function has_public_copy(): void {
  const args = Args.parse("has_public_copy");
  const key = args.string("key");
  args.done();
  env.valueReturnString(storage.readString(SECRET_PREFIX + key) === null ? "false" : "true");
}
