// xcall-callee: receives pings queued by xcall-caller in another context and
// records them, with the calling context taken from xcall_origin.

import { env, hex, state, Args, JsonValue } from "../../../sdk/assemblyscript/assembly";

const INBOX_KEY = "inbox";

/** init {} → null */
export function init(): void {
  Args.none("init");
  state.save(INBOX_KEY, JsonValue.array());
  env.valueReturnString("null");
}

/** receive {message} → null. Only accepts calls started by an xcall. */
export function receive(): void {
  const args = Args.parse("receive");
  const message = args.string("message");
  args.done();
  const origin = env.xcallOrigin();
  if (origin === null) env.panic("receive: only callable through xcall");
  const inbox = state.load(INBOX_KEY, JsonValue.array());
  inbox.push(JsonValue.object().set("from", JsonValue.string(hex.encode(origin!))).set("message", JsonValue.string(message)));
  state.save(INBOX_KEY, inbox);
  env.emit("Received", JsonValue.object().set("message", JsonValue.string(message)).toBytes());
  env.valueReturnString("null");
}

/** inbox {} → [{from, message}] */
export function inbox(): void {
  Args.none("inbox");
  env.valueReturn(state.load(INBOX_KEY, JsonValue.array()).toBytes());
}
