package org.copyoffload.it.iscsi;

import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.has;
import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.matches;
import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.rc0;
import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.rcNot0;

import java.util.HexFormat;
import java.util.List;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.Check;
import org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.Expect;

/**
 * Token copy (ODX) through the kernel's SG_IO, as {@link IscsiKernelInitiatorTest.Check}s to append to
 * {@link IscsiKernelInitiatorTest#checks()} after {@code ddpt-xcopy}: they need its {@code /tmp/map}, the 4 KiB
 * pattern written at LUN 0 block 768 by {@code dd-4k}, LUN 2 of 4 KiB blocks, and the parameter lists of
 * {@link #withFiles} in the share. LIO has no token copy, so none belongs in its LIO_PASSES.
 *
 * <p>The commands go through {@code sg_raw} with parameter lists written here byte by byte from SBC-4 (not with the
 * project's encoders), because ddpt 0.97, the version both guests ship, cannot do token copy with any target: its
 * {@code do_pop_tok} and {@code do_wut} start each block device range descriptor's LBA one byte early (byte 15 / 535,
 * then overwritten by the descriptor list length), so {@code ddpt --odx ... skip=768,16} sends LBA 30000h and our
 * target answers LOGICAL BLOCK ADDRESS OUT OF RANGE; with {@code count=} it builds an empty gather list ("count=
 * value not equal to the sum of gather nums", zero blocks: the zero variant writes nothing); without {@code count=}
 * it loops POPULATE TOKEN of zero blocks until the target's 1024 live tokens are used (INSUFFICIENT RESOURCES). Seen
 * in the 6.1 guest; page 8Fh it reads correctly.
 * <ul>
 * <li>{@code odx-vpd}: {@code sg_vpd -p tpc} decodes the three ROD descriptors;</li>
 * <li>{@code odx-populate}: POPULATE TOKEN of the pattern's 1024 blocks, RECEIVE ROD TOKEN INFORMATION returns a
 * 512-byte token (response to 10h, status 01h, 1024 blocks); REPORT ALL ROD TOKENS lists it (8-byte header and a
 * 96-byte management token per valid token);</li>
 * <li>{@code odx-write}: WRITE USING TOKEN of that token to LUN 2 block 3000, read back identical, TRANSFER COUNT
 * 1024;</li>
 * <li>{@code odx-zero}: the block device zero token over 16 blocks written with random data reads back zeros;</li>
 * <li>{@code odx-revoked}: a token whose source block was written after it was made is INVALID TOKEN OPERATION,
 * TOKEN REVOKED, and nothing is written.</li>
 * </ul>
 */
final class IscsiOdxChecks {
    private IscsiOdxChecks() {
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    /**
     * The share files: POPULATE TOKEN lists (SBC-4 POPULATE TOKEN: data length, flags, INACTIVITY TIMEOUT, ROD TYPE, range
     * descriptor length 0010h, one range), the WRITE USING TOKEN list around its token (SBC-4 WRITE USING TOKEN: header up to
     * OFFSET INTO ROD; 6 reserved bytes, descriptor length, one range) and the block device zero token.
     */
    static GuestVm.Options withFiles(GuestVm.Options options) {
        return options
                .withFile("odx-pt.bin", hex("001E 00 00 00000000 00000000 0000 0010 0000000000000300 00000400 00000000"))
                .withFile("odx-pt-rev.bin", hex("001E 00 00 00000000 00000000 0000 0010 0000000000009C40 00000010 00000000"))
                .withFile("odx-wut-head.bin", hex("0226 00 0000000000 0000000000000000"))
                .withFile("odx-wut-tail.bin", hex("000000000000 0010 0000000000000BB8 00000400 00000000"))
                .withFile("odx-wut-tail-rev.bin", hex("000000000000 0010 0000000000000064 00000010 00000000"))
                .withFile("odx-zero-list.bin", zeroList());
    }

    private static byte[] zeroList() {
        byte[] b = new byte[552];
        System.arraycopy(hex("0226 00 0000000000 0000000000000000"), 0, b, 0, 16);
        System.arraycopy(hex("FFFF0001 0000 01F8"), 0, b, 16, 8); // block device zero ROD token (SBC-4 WRITE USING TOKEN)
        System.arraycopy(hex("000000000000 0010 0000000000001770 00000010 00000000"), 0, b, 528, 24); // LBA 6000
        return b;
    }

    private static Check check(String name, String snippet, Expect... expect) {
        if (snippet.contains("'")) {
            throw new IllegalArgumentException("a single quote would end the snippet of " + name);
        }
        return new Check(name, snippet, side -> List.of(expect));
    }

    // POPULATE TOKEN / WRITE USING TOKEN (83h/10h, 11h: LIST IDENTIFIER at 6-9, PARAMETER LIST LENGTH at 10-13) and
    // RECEIVE ROD TOKEN INFORMATION (84h/07h: LIST IDENTIFIER at 2-5, ALLOCATION LENGTH at 10-13) as sg_raw CDBs.
    private static String pt(int list) {
        return "83 10 00 00 00 00 00 00 01 %02x 00 00 00 20 00 00".formatted(list);
    }

    private static String wut(int list) {
        return "83 11 00 00 00 00 00 00 01 %02x 00 00 02 28 00 00".formatted(list);
    }

    private static String rrti(int list) {
        return "84 07 00 00 01 %02x 00 00 00 00 00 00 04 00 00 00".formatted(list);
    }

    /**
     * Stock ddpt with {@code oflag=odx} (the client): passes when it copies and the copy reads back, or when
     * it is ddpt 0.97 and fails as that version must against any target (its POPULATE TOKEN puts the LBA one byte
     * early, so block 768 arrives as 30000h, beyond the LU: LOGICAL BLOCK ADDRESS OUT OF RANGE). So a fixed ddpt in a
     * later Debian is noticed, and a target that took the misplaced LBA would fail here.
     */
    static Expect ddptCopiesOrFailsAs097() {
        return s -> s.contains("READBACK-OK") ? java.util.Optional.empty()
                : s.contains("version: 0.97 ") && s.output().toLowerCase(java.util.Locale.ROOT)
                        .contains("logical block address out of range") ? java.util.Optional.empty()
                : java.util.Optional.of("neither a copy nor ddpt 0.97's known refusal");
    }

    static List<Check> checks() {
        return List.of(
                check("odx-ddpt", """
                        . /tmp/map; ddpt --version 2>&1 | head -1
                        ddpt if=/dev/$G0 of=/dev/$G2 bs=4096 skip=768,1024 seek=7000,1024 oflag=odx -v 2>&1 | tail -12
                        dd if=/dev/$B2 bs=4096 skip=7000 count=1024 iflag=direct 2>/dev/null | cmp - /share/pattern-4k.bin && echo READBACK-OK""",
                        ddptCopiesOrFailsAs097()),
                check("odx-vpd", ". /tmp/map; sg_vpd -p tpc /dev/$G0",
                        rc0(), matches("(?i)block device rod (token )?limits"),
                        matches("(?i)maximum inactivity timeout: (600|0x258)"),
                        matches("(?i)rod token features"), matches("(?i)change vulnerable \\[0x800001\\]"),
                        matches("(?i)block device zero \\[0xffff0001\\]"), has("Populate token"),
                        has("Write using token"), has("Receive ROD token information")),
                check("odx-populate", """
                        . /tmp/map; rm -f /tmp/rrti.bin /tmp/tok.bin /tmp/rrti-rev.bin /tmp/tok-rev.bin
                        sg_raw -s 32 -i /share/odx-pt.bin /dev/$G0 %s
                        sg_raw -r 1024 -o /tmp/rrti.bin /dev/$G0 %s
                        echo RRTI-BYTES=$(wc -c < /tmp/rrti.bin); od -A d -t x1 -N 48 /tmp/rrti.bin
                        sg_raw -r 4096 -o /tmp/rart.bin /dev/$G0 84 08 00 00 00 00 00 00 00 00 00 00 10 00 00 00
                        echo RART-BYTES=$(wc -c < /tmp/rart.bin)""".formatted(pt(1), rrti(1)), rc0(),
                        has("RRTI-BYTES=550"), matches("^RART-BYTES=(104|200|296|392|488)$"),
                        matches("^0+\\s+00 00 02 22 10 01 00 00 00 00 00 00 00 00 00 f1"),
                        matches("^0+16\\s+00 00 00 00 00 00 04 00 00 00 00 00 00 00 00 00"),
                        matches("^0+32\\s+00 00 02 02 00 00 00 80 00 01 00 00 01 f8")),
                check("odx-write", """
                        . /tmp/map
                        dd if=/tmp/rrti.bin of=/tmp/tok.bin bs=1 skip=38 count=512 2>/dev/null
                        cat /share/odx-wut-head.bin /tmp/tok.bin /share/odx-wut-tail.bin > /tmp/wut.bin
                        sg_raw -s 552 -i /tmp/wut.bin /dev/$G2 %s
                        sg_raw -r 1024 /dev/$G2 %s
                        dd if=/dev/$B2 bs=4096 skip=3000 count=1024 iflag=direct 2>/dev/null | cmp - /share/pattern-4k.bin && echo READBACK-OK"""
                        .formatted(wut(2), rrti(2)), rc0(), has("READBACK-OK"),
                        matches("^\\s*00\\s+00 00 00 20 11 01 00 00\\s+00 00 00 00 00 00 00 f1"),
                        matches("^\\s*10\\s+00 00 00 00 00 00 04 00\\s")),
                check("odx-zero", """
                        . /tmp/map
                        dd if=/dev/urandom of=/dev/$B2 bs=4096 seek=6000 count=16 oflag=direct 2>/dev/null
                        echo BEFORE=$(dd if=/dev/$B2 bs=4096 skip=6000 count=16 iflag=direct 2>/dev/null | tr -d "\\000" | wc -c)
                        sg_raw -s 552 -i /share/odx-zero-list.bin /dev/$G2 %s
                        echo AFTER=$(dd if=/dev/$B2 bs=4096 skip=6000 count=16 iflag=direct 2>/dev/null | tr -d "\\000" | wc -c)"""
                        .formatted(wut(3)), rc0(), matches("^BEFORE=[1-9]"), matches("^AFTER=0$")),
                check("odx-revoked", """
                        . /tmp/map
                        sg_raw -s 32 -i /share/odx-pt-rev.bin /dev/$G0 %s
                        sg_raw -r 1024 -o /tmp/rrti-rev.bin /dev/$G0 %s
                        dd if=/tmp/rrti-rev.bin of=/tmp/tok-rev.bin bs=1 skip=38 count=512 2>/dev/null
                        dd if=/dev/urandom of=/dev/$B0 bs=4096 seek=40002 count=1 oflag=direct 2>/dev/null
                        cat /share/odx-wut-head.bin /tmp/tok-rev.bin /share/odx-wut-tail-rev.bin > /tmp/wut-rev.bin
                        sg_raw -s 552 -i /tmp/wut-rev.bin /dev/$G2 %s 2>&1"""
                        .formatted(pt(4), rrti(4), wut(5)), rcNot0(), matches("(?i)token revoked")));
    }
}
