/**
 * The device side of FDO: DI, TO1 and TO2 over HTTP.
 * @NOTE placeholder: the DI, TO1 and TO2 clients land with the manufacturer, rendezvous and owner issues.
 */
export const PROTOCOL_VERSION = 101;
