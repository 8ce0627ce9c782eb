// Names the kernel and the lab derive from topology names, and their limits.

/** Prefix of every lab namespace, so `ip netns list | grep ^flx-` shows all of them. */
export const NETNS_PREFIX = 'flx';

/** Linux IFNAMSIZ is 16 bytes including the terminating NUL. */
export const MAX_IFNAME = 15;

/**
 * Longest namespace name accepted. Linux itself allows a file name (255 bytes), but node control
 * sockets live under the lab's state directory and a Unix socket path is limited to 107 bytes
 * (sun_path), so lab + node names must stay short.
 */
export const MAX_NETNS_NAME = 48;

/** Lab and node names (containerlab's own pattern). */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;

export function netnsName(lab: string, node: string): string {
  return `${NETNS_PREFIX}-${lab}-${node}`;
}

/** An error message when `name` cannot be a Linux interface name, else undefined. */
export function checkIfname(name: string): string | undefined {
  if (name.length === 0) return 'interface name is empty';
  if (Buffer.byteLength(name) > MAX_IFNAME) {
    return `interface name "${name}" is ${Buffer.byteLength(name)} characters long; Linux allows at most ${MAX_IFNAME}`;
  }
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) {
    return `"${name}" is not a valid Linux interface name (no '/', ':' or whitespace)`;
  }
  return undefined;
}
