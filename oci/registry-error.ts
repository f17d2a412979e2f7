// The error every registry operation fails with; `status` is the HTTP status when there was one.
export class RegistryError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}
