/**
 * containerd's gRPC API ({@code containerd.services.*.v1}, wire-compatible with containerd 1.6) on
 * {@code [grpc] address}, so that Debian's {@code ctr} and other containerd clients can drive Berth.
 * The services are thin adapters over the engine's interfaces (content, images, snapshots, leases,
 * runtime); they never reach around them. Images, content, snapshots and leases are node-wide in
 * Berth's engine, so every containerd namespace sees the same ones; tasks and containers are kept
 * per namespace.
 */
package dev.berth.controller.grpc;
