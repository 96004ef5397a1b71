// chat: channels with members and messages. Members are executor identities
// (hex public keys); only members may post. Each posted message is also
// emitted as a MessageSent event whose handler (on_message) receiving nodes
// may run.
//
// State: "channels" → {name: {members: [hex], messages: [{sender, text, at}]}}

import { env, hex, state, context, privateStorage, Args, JsonValue } from "../../../sdk/assemblyscript/assembly";

const CHANNELS_KEY = "channels";

function channels(): JsonValue {
  return state.load(CHANNELS_KEY, JsonValue.object());
}

function channel(all: JsonValue, name: string): JsonValue {
  const c = all.get(name);
  if (c === null) return env.panic<JsonValue>("no such channel: " + name);
  return c;
}

function isMember(c: JsonValue, who: string): bool {
  const members = c.get("members")!;
  for (let i = 0; i < members.length; i++) {
    if (members.at(i).asString() == who) return true;
  }
  return false;
}

/** init {} → null */
export function init(): void {
  Args.none("init");
  state.save(CHANNELS_KEY, JsonValue.object());
  env.valueReturnString("null");
}

/** create_channel {name} → null. The creator becomes the first member. */
export function create_channel(): void {
  const args = Args.parse("create_channel");
  const name = args.string("name");
  args.done();
  if (name.length == 0 || name.length > 64) env.panic("channel names are 1..64 characters");
  const all = channels();
  if (all.has(name)) env.panic("channel already exists: " + name);
  const me = hex.encode(env.executorId());
  all.set(name, JsonValue.object()
    .set("members", JsonValue.array().push(JsonValue.string(me)))
    .set("messages", JsonValue.array()));
  state.save(CHANNELS_KEY, all);
  env.emit("ChannelCreated", JsonValue.object().set("name", JsonValue.string(name)).toBytes());
  env.valueReturnString("null");
}

/** join {channel, member?} → null. Adds `member` (hex key; default: the caller). */
export function join(): void {
  const args = Args.parse("join");
  const name = args.string("channel");
  const given = args.optionalString("member");
  args.done();
  const who = given === null ? hex.encode(env.executorId()) : given;
  const all = channels();
  const c = channel(all, name);
  if (!isMember(c, who)) c.get("members")!.push(JsonValue.string(who));
  state.save(CHANNELS_KEY, all);
  env.valueReturnString("null");
}

/**
 * invite {channel, member} → null. Members only: adds `member` (hex public key)
 * to the channel and, once this call commits, to the context itself.
 */
export function invite(): void {
  const args = Args.parse("invite");
  const name = args.string("channel");
  const member = args.string("member");
  args.done();
  const key = hex.decode(member, "member");
  if (key.length != 32) env.panic("member must be a 32-byte public key in hex");
  const all = channels();
  const c = channel(all, name);
  if (!isMember(c, hex.encode(env.executorId()))) env.panic("not a member of channel " + name);
  if (!isMember(c, member)) c.get("members")!.push(JsonValue.string(member));
  state.save(CHANNELS_KEY, all);
  if (!context.isMember(key)) context.addMember(key);
  env.valueReturnString("null");
}

/** is_context_member {member} → bool */
export function is_context_member(): void {
  const args = Args.parse("is_context_member");
  const member = args.string("member");
  args.done();
  env.valueReturnString(context.isMember(hex.decode(member, "member")) ? "true" : "false");
}

/** send {channel, text} → message index. Members only. */
export function send(): void {
  const args = Args.parse("send");
  const name = args.string("channel");
  const text = args.string("text");
  args.done();
  if (text.length == 0 || text.length > 4096) env.panic("messages are 1..4096 characters");
  const me = hex.encode(env.executorId());
  const all = channels();
  const c = channel(all, name);
  if (!isMember(c, me)) env.panic("not a member of channel " + name);
  const messages = c.get("messages")!;
  const message = JsonValue.object()
    .set("sender", JsonValue.string(me))
    .set("text", JsonValue.string(text))
    .set("at", JsonValue.u64(env.timeNow()));
  messages.push(message);
  state.save(CHANNELS_KEY, all);
  const event = JsonValue.object().set("channel", JsonValue.string(name)).set("text", JsonValue.string(text));
  env.emitWithHandler("MessageSent", event.toBytes(), "on_message");
  env.valueReturnString((messages.length - 1).toString());
}

const HANDLED_KEY = "chat:handled";

/**
 * on_message {channel, text} → null. Event handler, run by the nodes that receive a message (not
 * the sender's): logs it and counts it in node-local private storage, which never replicates.
 */
export function on_message(): void {
  const args = Args.parse("on_message");
  const name = args.string("channel");
  const text = args.string("text");
  args.done();
  env.log("new message in " + name + ": " + text);
  privateStorage.writeString(HANDLED_KEY, (handledCount() + 1).toString());
  env.valueReturnString("null");
}

function handledCount(): i32 {
  const stored = privateStorage.readString(HANDLED_KEY);
  return stored === null ? 0 : I32.parseInt(stored);
}

/** handled_count {} → number of MessageSent events this node's handler ran for. */
export function handled_count(): void {
  Args.parse("handled_count").done();
  env.valueReturnString(handledCount().toString());
}

/** messages {channel} → [{sender, text, at}] */
export function messages(): void {
  const args = Args.parse("messages");
  const name = args.string("channel");
  args.done();
  env.valueReturn(channel(channels(), name).get("messages")!.toBytes());
}

/** members {channel} → [hex] */
export function members(): void {
  const args = Args.parse("members");
  const name = args.string("channel");
  args.done();
  env.valueReturn(channel(channels(), name).get("members")!.toBytes());
}

/** list_channels {} → [name] */
export function list_channels(): void {
  Args.none("list_channels");
  const all = channels();
  const names = JsonValue.array();
  const keys = all.keys();
  for (let i = 0; i < keys.length; i++) names.push(JsonValue.string(keys[i]));
  env.valueReturn(names.toBytes());
}
