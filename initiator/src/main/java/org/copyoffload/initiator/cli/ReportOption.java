package org.copyoffload.initiator.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The {@code --report FILE.html} option both tools share, checked before the run and written after it. */
final class ReportOption {
    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write the table and charts as one self-contained HTML page (nothing fetched).")
    Path file;

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    /**
     * A usage error, before anything is measured, if the page could not be written where asked: a run of minutes
     * should not end in an I/O error about a mistyped directory.
     */
    void check() {
        if (file == null) {
            return;
        }
        Path directory = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(directory)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--report: directory '" + directory
                    + "' does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--report: '" + file + "' is a directory");
        }
    }

    /** Writes the page that {@code html} makes, if the option was given (the page is only made then). */
    void write(java.util.function.Supplier<String> html) throws IOException {
        if (file != null) {
            HtmlReport.write(file, html.get());
        }
    }
}
