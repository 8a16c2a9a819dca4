package dev.tokenmin.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

import java.nio.ByteBuffer;

/**
 * Confluent's wire format, which every Confluent-protocol library (Java, Python, Go, ...) reads and writes: the
 * magic byte {@code 0}, the schema's registry id as a 4-byte big-endian integer, then the Avro binary encoding of
 * the record.
 */
public final class WireFormat {

    /** The first byte of every framed payload. */
    public static final byte MAGIC_BYTE = 0;
    /** Magic byte and schema id. */
    public static final int HEADER_BYTES = 5;

    private WireFormat() {
    }

    /** Writes the header for schema {@code schemaId} into the first five bytes of {@code target}. */
    public static void writeHeader(byte[] target, int schemaId) {
        target[0] = MAGIC_BYTE;
        target[1] = (byte) (schemaId >>> 24);
        target[2] = (byte) (schemaId >>> 16);
        target[3] = (byte) (schemaId >>> 8);
        target[4] = (byte) schemaId;
    }

    /** {@code avro} framed for schema {@code schemaId}. */
    public static byte[] frame(int schemaId, byte[] avro) {
        byte[] framed = new byte[HEADER_BYTES + avro.length];
        writeHeader(framed, schemaId);
        System.arraycopy(avro, 0, framed, HEADER_BYTES, avro.length);
        return framed;
    }

    /**
     * The schema id of a framed payload.
     *
     * @throws SerializationException saying what is wrong: too short for a header, or not magic byte 0
     */
    public static int schemaId(String topic, byte[] payload) {
        if (payload.length < HEADER_BYTES) {
            throw new SerializationException("truncated payload on topic " + topic + ": " + payload.length
                    + " byte(s), shorter than the 5-byte header (magic byte 0 and a 4-byte schema id)");
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new SerializationException(String.format("unknown magic byte 0x%02x on topic %s: expected 0x00, "
                    + "the Confluent wire format (is this payload JSON, plain Avro or another serializer's?)",
                    payload[0] & 0xff, topic));
        }
        return ByteBuffer.wrap(payload, 1, 4).getInt();
    }
}
