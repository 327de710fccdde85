package dev.berth.crd.image;

/** When to contact the registry for an image, as kubelet's {@code imagePullPolicy}. */
public enum PullPolicy {
    /** Pull only when the reference does not resolve locally (the default). */
    IfNotPresent,
    /** Resolve against the registry on every reconcile and image refresh; pull when the digest changed. */
    Always,
    /** Never pull; the image must have been imported or pulled before. */
    Never
}
