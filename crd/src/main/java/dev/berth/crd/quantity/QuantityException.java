package dev.berth.crd.quantity;

/** A string that is not an acceptable quantity; the message quotes it and says why. Immutable. */
public class QuantityException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String text;

    public QuantityException(String text, String why) {
        super("\"" + text + "\" " + (why == null ? "is not a quantity" : "is not usable: " + why));
        this.text = text;
    }

    /** The rejected input. */
    public String text() {
        return text;
    }
}
