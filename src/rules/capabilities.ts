/**
 * The Linux capabilities a container runtime (Docker, containerd) grants every container by
 * default: adding one of them changes nothing, and dropping every one of them by name is as
 * good as `drop: [ALL]` (how Polaris's insecureCapabilities reads it).
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];
