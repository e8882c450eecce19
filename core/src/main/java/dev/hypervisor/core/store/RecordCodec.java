package dev.hypervisor.core.store;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.hypervisor.core.error.DomainException;
import dev.hypervisor.core.error.ErrorCode;
import java.io.IOException;

/**
 * Stored form of records: JSON, so an operator can read the store with the sqlite3 or
 * etcdctl tools; unknown fields are ignored so that older daemons read newer records.
 */
public final class RecordCodec {

    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private RecordCodec() {}

    public static byte[] encode(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new DomainException(ErrorCode.INTERNAL, "cannot encode " + value.getClass().getSimpleName(), e);
        }
    }

    public static <T> T decode(byte[] bytes, Class<T> type) {
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new DomainException(ErrorCode.INTERNAL, "corrupt stored " + type.getSimpleName(), e);
        }
    }
}
