package dev.hypervisor.server;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What makes two requests "the same" for request_id: the SHA-256 of the request's
 * deterministic serialization (map entries sorted), taken without its request_id.
 */
final class Fingerprint {

    private Fingerprint() {}

    /**
     * The fingerprint of a request without its {@code request_id}, or "" when it carries none:
     * then nothing ever compares it, and serializing and hashing every create for nothing was
     * a tenth of the create handler's CPU. Every mutating request has the field (the API's rule).
     */
    static String ofRequest(Message request) {
        Descriptors.FieldDescriptor requestId = request.getDescriptorForType().findFieldByName("request_id");
        if (requestId == null) {
            throw new IllegalArgumentException(request.getDescriptorForType().getFullName() + " has no request_id");
        }
        if (((String) request.getField(requestId)).isEmpty()) {
            return "";
        }
        return of(request.toBuilder().clearField(requestId).build());
    }

    static String of(Message requestWithoutId) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization();
            requestWithoutId.writeTo(out);
            out.flush();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(requestWithoutId.getDescriptorForType().getFullName().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(bytes.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
