/**
 * The content store: immutable blobs addressed by digest, and the ingests that write them.
 *
 * <p>Vocabulary (containerd's): a <b>blob</b> is committed content, identified by its
 * {@link dev.berth.engine.oci.Digest} and read through a {@link dev.berth.engine.content.ContentProvider}.
 * An <b>ingest</b> is a write in progress, identified by a client-chosen <b>ref</b> (pull uses
 * {@code layer-<digest>}, {@code manifest-<digest>}, …). An ingest is opened with
 * {@link dev.berth.engine.content.ContentIngester#writer}, written, and either committed (size and
 * digest verified, then atomically renamed into the blob directory) or aborted. Closing a writer
 * without committing keeps its bytes so a later writer on the same ref resumes where it stopped.
 * Only one writer may hold a ref at a time. Blobs carry mutable labels
 * ({@link dev.berth.engine.content.ContentManager}); everything else about a blob is immutable.
 */
package dev.berth.engine.content;
