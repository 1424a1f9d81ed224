/**
 * ServiceInfo modules (FDO 1.1 §3.8): the interfaces integrators implement, one for the owner side
 * and one for the device side. A module owns the keys "name:…"; the drivers (owner-driver.ts,
 * device-driver.ts) carry its messages through TO2.DeviceServiceInfo (68) / TO2.OwnerServiceInfo (69),
 * chunked to the negotiated sizes (§3.9), and run the `name:active` handshake (§3.8.3.1) for it.
 *
 * Owner modules keep their state as plain JSON, handed in and returned on every call: the state is
 * stored with the TO2 session, so the next message of the session may reach another server instance.
 */
import type { DevmodFacts } from './devmod.js';

/** A value that survives JSON.stringify / JSON.parse unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One ServiceInfo message of a module: `message` is the part after "module:", `value` the decoded CBOR. */
export interface ServiceInfoMessage {
  readonly message: string;
  readonly value: unknown;
}

/** What an owner module knows of the device it talks to. */
export interface DeviceFacts {
  /** The device GUID as the owner knows it (canonical text form, see `formatGuid`). */
  readonly guid: string;
  /**
   * The GUID the device holds once this onboarding completes: TO2.SetupDevice's replacement GUID
   * (§5.5.7), or `guid` with credential reuse. Identities issued in this TO2 (a certificate's subject,
   * a cloud client id) name this one, the GUID the owner's records follow.
   */
  readonly nextGuid: string;
  /** What the device reported in devmod (§3.8.3), checked. */
  readonly devmod: DevmodFacts;
  /** Grouping tags the owner keeps for this device (from its voucher record). */
  readonly tags: readonly string[];
}

export interface OwnerModuleContext {
  readonly device: DeviceFacts;
  /**
   * The largest encoded size one ServiceInfoKeyVal may take ([key, bstr value]). A larger value is
   * split across entries by the driver (chunk.ts); modules that stream data (fdo.download:data)
   * size their messages to fit so that each stays one whole message.
   */
  readonly budget: number;
}

export interface OwnerModuleOutput<S extends JsonValue> {
  readonly state: S;
  /** Messages to send to the device now (may be empty while waiting for the device). */
  readonly messages: readonly ServiceInfoMessage[];
  /** True once the module has nothing more to do in this TO2. */
  readonly done: boolean;
}

/** An owner-side ServiceInfo module (e.g. fdo.download, fdo.command, or an integrator's own). */
export interface OwnerServiceInfoModule<S extends JsonValue = JsonValue> {
  /** The module name: the "name" of "name:message" (§3.8.1). Not "devmod". */
  readonly name: string;
  /**
   * Whether this module runs for a device (by GUID, tags or devmod facts; may look the device up).
   * Default: always.
   */
  appliesTo?(device: DeviceFacts): boolean | Promise<boolean>;
  /** The module's initial state for a device, once devmod is known. */
  start(device: DeviceFacts): S | Promise<S>;
  /**
   * Messages sent right after `name:active = true`, in the same ServiceInfo, before the device
   * answered (a device without the module ignores them, §3.8.1). Modules listed earlier reach the
   * device first, so one module can tell the device what later ones need at their activation (the
   * credential profile module names the directory fdo.csr enrolls into).
   */
  open?(state: S, device: DeviceFacts): readonly ServiceInfoMessage[];
  /**
   * Called once per ServiceInfo round after the device answered `name:active = true` and after its
   * replies were delivered to {@link receive}: the messages to send now, and whether it is done.
   */
  produce(state: S, ctx: OwnerModuleContext): OwnerModuleOutput<S> | Promise<OwnerModuleOutput<S>>;
  /** One device message for this module (not `active`, which the driver handles). Throw an FdoError to end TO2. */
  receive(state: S, message: ServiceInfoMessage, ctx: OwnerModuleContext): S | Promise<S>;
  /** A summary of what the module did, reported with the onboarding. Default: its final state. */
  result?(state: S): JsonValue;
}

/** What a device module knows of the exchange. */
export interface DeviceModuleContext {
  /**
   * The largest encoded size one ServiceInfoKeyVal may take in the device's ServiceInfo (from the
   * owner's maxDeviceServiceInfoSz). Larger values are split by the driver; modules that stream
   * data (fdo.upload:data, fdo.command:stdout) size each message to fit.
   */
  readonly budget: number;
}

/** Replies a device module sends, if any. */
export type DeviceModuleReplies = readonly ServiceInfoMessage[] | void;

/** A device-side ServiceInfo module: handles "name:message" from the owner and may answer. */
export interface DeviceServiceInfoModule {
  readonly name: string;
  /**
   * The owner sent `name:active` (true to start the module, false to stop it). A module whose
   * protocol starts on the device side (fdo.csr) returns its first requests here; they follow the
   * driver's `name:active` answer.
   */
  activate?(active: boolean, ctx: DeviceModuleContext): DeviceModuleReplies | Promise<DeviceModuleReplies>;
  /** One owner message for this active module; returns the replies to send, if any. */
  receive(
    message: string,
    value: unknown,
    ctx: DeviceModuleContext,
  ): DeviceModuleReplies | Promise<DeviceModuleReplies>;
  /** What the module achieved, returned by the device's TO2 as its ServiceInfo result. */
  result?(): unknown;
}
