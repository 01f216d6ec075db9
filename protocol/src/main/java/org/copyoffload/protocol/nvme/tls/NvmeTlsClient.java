package org.copyoffload.protocol.nvme.tls;

import java.io.IOException;
import java.util.Vector;
import org.bouncycastle.tls.AbstractTlsClient;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.PskKeyExchangeMode;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * A host's side of an NVMe/TCP TLS handshake: TLS 1.3 with one external PSK (a retained PSK's identity and TLS PSK),
 * the cipher suite of the PSK's hash, {@code psk_dhe_ke} as Linux's tlshd offers it.
 */
public final class NvmeTlsClient extends AbstractTlsClient implements TlsPeerResult {
    private final PskIdentity identity;
    private final byte[] psk;
    private final short[] modes;
    private String cipherSuite;

    /** @param psk the TLS PSK of {@code identity} (see {@link PskDerivation#tlsPsk}) */
    public NvmeTlsClient(PskIdentity identity, byte[] psk) {
        this(identity, psk, new short[] {PskKeyExchangeMode.psk_dhe_ke});
    }

    /** With other PSK key exchange modes (RFC 8446, 4.2.9), as other hosts offer them. */
    NvmeTlsClient(PskIdentity identity, byte[] psk, short[] modes) {
        super(new BcTlsCrypto());
        this.identity = identity;
        this.psk = psk.clone();
        this.modes = modes.clone();
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.TLSv13.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return new int[] {identity.hash().cipherSuite()};
    }

    @Override
    public short[] getPskKeyExchangeModes() {
        return modes.clone();
    }

    @Override
    public Vector<BasicTlsPSKExternal> getExternalPSKs() {
        Vector<BasicTlsPSKExternal> v = new Vector<>();
        v.add(new BasicTlsPSKExternal(identity.bytes(), getCrypto().createSecret(psk), identity.hash().prfAlgorithm()));
        return v;
    }

    @Override
    public TlsAuthentication getAuthentication() {
        return new TlsAuthentication() {
            @Override
            public void notifyServerCertificate(TlsServerCertificate serverCertificate) throws IOException {
                // A PSK handshake has no certificate; a server that sends one did not take our PSK.
                throw new TlsFatalAlert(AlertDescription.unsupported_certificate, "the target sent a certificate");
            }

            @Override
            public TlsCredentials getClientCredentials(org.bouncycastle.tls.CertificateRequest request) {
                return null;
            }
        };
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        cipherSuite = PskHash.suiteName(context.getSecurityParametersConnection().getCipherSuite());
    }

    @Override
    public PskIdentity identity() {
        return identity;
    }

    @Override
    public String cipherSuite() {
        return cipherSuite;
    }
}
