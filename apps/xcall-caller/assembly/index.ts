// xcall-caller: sends a ping to a context running xcall-callee. The xcall is
// queued and runs after this call commits; the caller keeps its own count.

import { env, hex, state, xcall, Args, JsonValue } from "../../../sdk/assemblyscript/assembly";

const SENT_KEY = "sent";

/** init {} → null */
export function init(): void {
  Args.none("init");
  state.save(SENT_KEY, JsonValue.object().set("count", JsonValue.i64(0)));
  env.valueReturnString("null");
}

/** ping {target (hex context id), message} → null. Queues receive {message} on the target. */
export function ping(): void {
  const args = Args.parse("ping");
  const target = hex.decode(args.string("target"), "target");
  const message = args.string("message");
  args.done();
  xcall.call(target, "receive", JsonValue.object().set("message", JsonValue.string(message)).toString());
  const sent = state.load(SENT_KEY, JsonValue.object().set("count", JsonValue.i64(0)));
  sent.set("count", JsonValue.i64(I64.parseInt(sent.get("count")!.asNumberText()) + 1));
  state.save(SENT_KEY, sent);
  env.valueReturnString("null");
}

/** sent {} → number of pings sent. */
export function sent(): void {
  Args.none("sent");
  const sent = state.load(SENT_KEY, JsonValue.object().set("count", JsonValue.i64(0)));
  env.valueReturnString(sent.get("count")!.asNumberText());
}
