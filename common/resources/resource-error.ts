/**
 * The one error type of the resources domain: invalid input at the edge (parse, fromProto) or a
 * programming error (subtracting what is not contained). `index` is the position of the offending
 * resource in its list (-1 when not about one entry) and `field` the offending field.
 */
export class ResourceError extends Error {
  override readonly name = 'ResourceError';
  constructor(
    message: string,
    readonly index: number,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
