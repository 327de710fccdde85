package dev.berth.engine.content;

/**
 * The whole content store: reading, ingesting, managing blobs and ingests. Implementations are
 * thread-safe. The local implementation is {@link dev.berth.engine.content.local.LocalContentStore}.
 */
public interface ContentStore extends ContentProvider, ContentIngester, ContentManager, IngestManager {
}
