package dev.hypervisor.cli;

import dev.hypervisor.tls.Certificates;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trust in one server certificate, the one whose SHA-256 fingerprint was accepted on
 * {@code hvctl remote add}, as Incus pins its remotes: no CA and no host name are involved,
 * so a self-signed daemon certificate is as good as any, and a different one is refused
 * whatever signed it.
 */
class PinnedCertificate extends X509ExtendedTrustManager {

  private final String remote;
  private final String fingerprint;

  PinnedCertificate(String remote, String fingerprint) {
    this.remote = remote;
    this.fingerprint = fingerprint;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the server of remote " + remote + " showed no certificate");
    }
    String served = Certificates.fingerprint(chain[0]);
    if (!served.equals(fingerprint)) {
      throw new CertificateException("the server certificate of remote " + remote + " is SHA-256 " + served
          + ", not the " + fingerprint + " accepted when it was added: if the daemon's certificate was"
          + " replaced, check the new fingerprint with its admin, then `hvctl remote rm " + remote
          + "` and add it again");
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("hvctl does not take connections");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }

  /**
   * The certificate the server at {@code host:port} shows, trusting nothing yet: what the user
   * is asked to accept on {@code hvctl remote add}. The handshake sends no client certificate.
   */
  static X509Certificate fetch(String host, int port, Duration timeout) throws IOException {
    AtomicReference<X509Certificate> shown = new AtomicReference<>();
    X509ExtendedTrustManager recorder = new PinnedCertificate("", "") {
      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
        if (chain != null && chain.length > 0) {
          shown.set(chain[0]);
        }
      }
    };
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new javax.net.ssl.TrustManager[] {recorder}, null);
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
        raw.setSoTimeout((int) timeout.toMillis());
        try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(raw, host, port, false)) {
          SSLParameters parameters = tls.getSSLParameters();
          parameters.setApplicationProtocols(new String[] {"h2"});
          tls.setSSLParameters(parameters);
          tls.startHandshake();
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(e.getMessage(), e);
    } catch (javax.net.ssl.SSLException e) {
      if (shown.get() == null) {
        throw new IOException("no TLS there (" + e.getMessage() + ")", e);
      }
    }
    if (shown.get() == null) {
      throw new IOException("the server showed no certificate");
    }
    return shown.get();
  }
}
