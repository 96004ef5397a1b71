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

/**
 * relay {target} → null. Counts itself, then xcalls relay on `target` with this
 * context as the next target: two contexts relaying to each other bounce until
 * the node's xcall depth limit stops the chain.
 */
export function relay(): void {
  const args = Args.parse("relay");
  const target = hex.decode(args.string("target"), "target");
  args.done();
  const relays = state.load("relays", JsonValue.object().set("count", JsonValue.i64(0)));
  relays.set("count", JsonValue.i64(I64.parseInt(relays.get("count")!.asNumberText()) + 1));
  state.save("relays", relays);
  xcall.call(target, "relay", JsonValue.object().set("target", JsonValue.string(hex.encode(env.contextId()))).toString());
  env.valueReturnString("null");
}

/** relays {} → how many relay calls this context ran. */
export function relays(): void {
  Args.none("relays");
  const relays = state.load("relays", JsonValue.object().set("count", JsonValue.i64(0)));
  env.valueReturnString(relays.get("count")!.asNumberText());
}
