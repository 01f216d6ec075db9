package org.copyoffload.protocol.scsi;

import java.util.List;

/** Supported VPD Pages (SPC-5 7.7.16): the page codes, ascending, this page's own 00h first. */
public record SupportedVpdPages(List<Integer> pages) implements VpdPage {
    public SupportedVpdPages {
        pages = List.copyOf(pages);
        for (int i = 1; i < pages.size(); i++) {
            if (pages.get(i) <= pages.get(i - 1)) {
                throw new IllegalArgumentException("page codes must ascend: " + pages);
            }
        }
    }

    @Override
    public int pageCode() {
        return SUPPORTED_VPD_PAGES;
    }

    @Override
    public byte[] payload() {
        byte[] b = new byte[pages.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (int) pages.get(i);
        }
        return b;
    }
}
