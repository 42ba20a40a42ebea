/**
 * The settings of a marathon process that its REST layer serves (`/v2/info`) or needs (leader
 * proxying). Built by marathon's main.ts from its flags (`--master`, `--http_port`, ...).
 */
export interface MarathonConfig {
  /** This marathon's version, served as `/v2/info` `version`. */
  readonly version: string;
  /** The host name this marathon announces (leader address `hostname:httpPort`). */
  readonly hostname: string;
  readonly httpPort: number;
  /** The Mesos master URL (`--master`). */
  readonly master: string;
  readonly frameworkName: string;
  /** The Mesos role apps get by default (`--mesos_role`). */
  readonly role: string;
  readonly failoverTimeoutSeconds: number;
  /** Forward requests that reach a non-leader to the leader (Marathon always does; false answers 503). */
  readonly leaderProxy: boolean;
}
