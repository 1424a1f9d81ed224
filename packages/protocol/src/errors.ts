/**
 * FDO error taxonomy (FDO 1.1 §3.7 "Error Message" and the error-code table in §5.1).
 *
 * Every failure a peer must hear about is an {@link FdoError}: it carries the spec's numeric
 * `EMErrorCode`, a stable string `code` for programs, and the message type that caused it
 * (`EMPrevMsgID`). A responder turns any FdoError into message 255; anything else is code 500.
 */

/** EMErrorCode values, FDO 1.1 §5.1 (table "Error Codes"). */
export const ErrorCode = {
  InvalidJwtToken: 1,
  InvalidOwnershipVoucher: 2,
  InvalidOwnerSignBody: 3,
  InvalidIpAddress: 4,
  InvalidGuid: 5,
  ResourceNotFound: 6,
  MessageBodyError: 100,
  InvalidMessageError: 101,
  CredReuseError: 102,
  InternalServerError: 500,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class FdoError extends Error {
  override name = 'FdoError';
  /** Stable identifier for programs and tests, e.g. `ERR_FDO_MESSAGE_BODY`. */
  readonly code: string;
  /** The spec's EMErrorCode sent in message 255. */
  readonly fdoCode: ErrorCode;
  /** The message type being processed when the error occurred (EMPrevMsgID), if known. */
  prevMsgType: number | undefined;

  constructor(code: string, fdoCode: ErrorCode, message: string, options?: { cause?: unknown; prevMsgType?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fdoCode = fdoCode;
    this.prevMsgType = options?.prevMsgType;
  }
}

type ErrorOptions = { cause?: unknown; prevMsgType?: number };

/** Code 1: the session token is missing, expired or belongs to another session. Any message after the first of a protocol. */
export class InvalidTokenError extends FdoError {
  override name = 'InvalidTokenError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_INVALID_TOKEN', ErrorCode.InvalidJwtToken, message, options);
  }
}

/** Code 2: the ownership voucher fails a check (TO0.OwnerSign, TO2, voucher import). */
export class InvalidOwnershipVoucherError extends FdoError {
  override name = 'InvalidOwnershipVoucherError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_INVALID_VOUCHER', ErrorCode.InvalidOwnershipVoucher, message, options);
  }
}

/** Code 3: TO0.OwnerSign is not acceptable (bad to1d signature, hash mismatch, untrusted owner). */
export class InvalidOwnerSignBodyError extends FdoError {
  override name = 'InvalidOwnerSignBodyError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_INVALID_OWNER_SIGN', ErrorCode.InvalidOwnerSignBody, message, options);
  }
}

/** Code 4: an RVTO2Addr IP address is not acceptable (TO0.OwnerSign). */
export class InvalidIpAddressError extends FdoError {
  override name = 'InvalidIpAddressError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_INVALID_IP', ErrorCode.InvalidIpAddress, message, options);
  }
}

/** Code 5: the GUID is unknown or not acceptable (TO1.HelloRV, TO2.HelloDevice). */
export class InvalidGuidError extends FdoError {
  override name = 'InvalidGuidError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_INVALID_GUID', ErrorCode.InvalidGuid, message, options);
  }
}

/** Code 6: what was asked for does not exist (TO1: no owner registration for the GUID). */
export class ResourceNotFoundError extends FdoError {
  override name = 'ResourceNotFoundError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_RESOURCE_NOT_FOUND', ErrorCode.ResourceNotFound, message, options);
  }
}

/** Code 100: the message body is malformed: not CBOR, wrong structure, wrong types or sizes. Any message. */
export class MessageBodyError extends FdoError {
  override name = 'MessageBodyError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_MESSAGE_BODY', ErrorCode.MessageBodyError, message, options);
  }
}

/** Code 101: the message is well formed but not valid here: wrong order, bad signature, bad nonce. Any message. */
export class InvalidMessageError extends FdoError {
  override name = 'InvalidMessageError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_INVALID_MESSAGE', ErrorCode.InvalidMessageError, message, options);
  }
}

/** Code 102: the device refuses credential reuse (TO2.DeviceServiceInfoReady). */
export class CredentialReuseError extends FdoError {
  override name = 'CredentialReuseError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_CRED_REUSE', ErrorCode.CredReuseError, message, options);
  }
}

/** Code 500: an internal failure; the peer should retry later. */
export class InternalServerError extends FdoError {
  override name = 'InternalServerError';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_FDO_INTERNAL', ErrorCode.InternalServerError, message, options);
  }
}
