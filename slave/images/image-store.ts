/**
 * The seam between the agent (containers with images, slave/containerizer/oci) and the local
 * image store (this folder): a content-addressed store of OCI images on the agent's disk, filled
 * by `maestro image import` (OCI image layouts, `docker save` archives) and by pulls from a Docker
 * Registry HTTP API v2 (token and basic authentication), with an unpacked root filesystem cached
 * per image, shared read-only by every container of that image (each container writes to its own
 * overlay upper layer, slave/containerizer/oci).
 *
 * Invariants: blobs are stored by digest and verified against it as they are written; a layer
 * shared by several images is stored once; `provision` never returns a rootfs that is half
 * unpacked (unpack into a temporary name, then rename); concurrent calls for the same image do the
 * work once; `gc` removes only blobs and rootfs caches that no tag and no `inUse` image needs.
 * Expected failures (unknown image, corrupt archive, unreachable registry, digest mismatch) are
 * values with a message, never throws.
 */

/** What Docker takes from an image config (`config` of the OCI image configuration). */
export interface ImageConfig {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  /** `KEY=value` entries, in order. */
  readonly env: readonly string[];
  readonly workingDir?: string;
  /** `user`, `uid`, `user:group` or `uid:gid`, as the image says; resolved inside its rootfs. */
  readonly user?: string;
  /** Ports the image declares (`ExposedPorts` keys such as `80/tcp`); informational. */
  readonly exposedPorts?: readonly string[];
}

export interface ResolvedImage {
  /** The normalized reference, e.g. `docker.io/library/busybox:latest` or `127.0.0.1:5000/tools/busybox:1`. */
  readonly reference: string;
  /** `sha256:...` of the image manifest: the image's identity in the store. */
  readonly manifestDigest: string;
  readonly config: ImageConfig;
  /** Absolute path of the unpacked root filesystem (read-only by convention: use it as an overlay lower dir). */
  readonly rootfs: string;
}

export type ImageResult = { readonly ok: true; readonly image: ResolvedImage } | { readonly ok: false; readonly message: string };

export interface StoredImage {
  readonly reference: string;
  readonly manifestDigest: string;
  /** Bytes of the manifest, config and layer blobs it uses (shared layers counted in full for each image). */
  readonly size: number;
  /** ISO time of the import or pull. */
  readonly storedAt: string;
}

export interface GcResult {
  readonly removedBlobs: number;
  readonly removedBytes: number;
  readonly removedRootfs: number;
}

export interface ImageStore {
  /**
   * The image of a container: from the store, or pulled when it is not there or when `forcePull`
   * (Mesos' Image.cached = false, Marathon's `forcePullImage`). Unpacks its rootfs once.
   */
  provision(reference: string, opts?: { readonly forcePull?: boolean }): Promise<ImageResult>;
  /** Pulls from the registry that the reference names (or the default registry). */
  pull(reference: string): Promise<ImageResult>;
  /**
   * Imports an OCI image layout (a directory, or a tar of one) or a `docker save` archive; every
   * image in it is tagged with the names it carries, or with `name` when given (an archive with
   * one image).
   */
  import(path: string, opts?: { readonly name?: string }): Promise<{ readonly ok: true; readonly images: readonly StoredImage[] } | { readonly ok: false; readonly message: string }>;
  list(): Promise<readonly StoredImage[]>;
  /** Removes a tag (the blobs stay until `gc`). False when there was no such tag. */
  remove(reference: string): Promise<boolean>;
  /** Removes blobs and unpacked rootfs caches that no tag and no image in `inUse` (manifest digests) needs. */
  gc(inUse?: ReadonlySet<string>): Promise<GcResult>;
}
