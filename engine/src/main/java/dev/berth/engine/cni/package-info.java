/**
 * The Container Network Interface, as the CNI specification (1.0.0, and 0.4.0 as Debian's plugins
 * 1.1.1 also speak it) defines it for a runtime: a <em>network configuration list</em> (a
 * {@code .conflist} file, or a single-plugin {@code .conf}) names a network and a chain of
 * plugins; the runtime executes each plugin binary with {@code CNI_COMMAND} ADD, CHECK or DEL, the
 * container id, the network namespace path and the interface name in the environment, and the
 * plugin's configuration on stdin with the previous plugin's result as {@code prevResult} and the
 * capabilities it declares as {@code runtimeConfig}. The last plugin's result is the attachment's
 * result, cached on disk so CHECK and DEL (even after a restart) send what ADD used.
 */
package dev.berth.engine.cni;
