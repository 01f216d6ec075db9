package org.copyoffload.protocol.nvme.tls;

import java.io.IOException;
import java.util.Vector;
import org.bouncycastle.tls.AbstractTlsServer;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.PskKeyExchangeMode;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsPSKExternal;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * The target's side of an NVMe/TCP TLS handshake (NVMe/TCP Transport 1.1, 3.6.1): TLS 1.3 only, external PSKs only
 * (no certificate), TLS_AES_128_GCM_SHA256 or TLS_AES_256_GCM_SHA384 as the PSK's hash decides, always with (EC)DHE
 * ({@code psk_dhe_ke}: Bouncy Castle does not do {@code psk_ke}; Linux's tlshd offers both).
 */
public final class NvmeTlsServer extends AbstractTlsServer implements TlsPeerResult {
    private final TlsPskKeys keys;
    private PskIdentity selected;
    private String offered;
    private String cipherSuite;

    public NvmeTlsServer(TlsPskKeys keys) {
        super(new BcTlsCrypto());
        this.keys = keys;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.TLSv13.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return new int[] {CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256};
    }

    @Override
    public short[] getPskKeyExchangeModes() {
        return new short[] {PskKeyExchangeMode.psk_dhe_ke};
    }

    @Override
    public TlsPSKExternal getExternalPSK(@SuppressWarnings("rawtypes") Vector identities) {
        for (Object o : identities) {
            byte[] identity = ((org.bouncycastle.tls.PskIdentity) o).getIdentity();
            TlsPskKeys.TlsPsk psk = keys.find(identity);
            if (psk != null) {
                selected = psk.identity();
                return new BasicTlsPSKExternal(identity, getCrypto().createSecret(psk.psk()),
                        psk.identity().hash().prfAlgorithm());
            }
            if (offered == null) {
                offered = PskIdentity.printable(new String(identity, java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
        return null;
    }

    @Override
    public TlsCredentials getCredentials() throws IOException {
        // Reached only when no offered identity matched (or none came with psk_dhe_ke): NVMe/TCP TLS has no certificates.
        throw new TlsFatalAlert(AlertDescription.unknown_psk_identity, offered == null
                ? "no PSK offered with psk_dhe_ke" : "unknown PSK identity " + offered);
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        cipherSuite = PskHash.suiteName(context.getSecurityParametersConnection().getCipherSuite());
    }

    @Override
    public PskIdentity identity() {
        return selected;
    }

    @Override
    public String cipherSuite() {
        return cipherSuite;
    }
}
