/** What a login records about the device, for the sessions list. */
export interface ClientInfo {
  readonly userAgent: string | undefined;
  readonly ip: string | undefined;
}
