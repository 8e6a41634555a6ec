package dev.tidemark.torture;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Starts tidemark ({@code dev.tidemark.cli.Main}) with the classes it may need already loaded, then says so by
 * creating the file named by {@code -Dtidemark.preloaded}. The fault torture injects open(2) and read(2) errors
 * only after that: the JVM opens and reads a class file when the class is first used, so without this such a fault
 * would break class loading rather than test tidemark's own I/O.
 *
 * <p>Loaded (not initialized): every class of tidemark and of its libraries, but for those a local repository
 * without encryption never touches (the S3 client and its HTTP stack, Bouncy Castle), which are 2/3 of all.
 */
public final class Preloaded {
    private Preloaded() {
    }

    /** Whole modules, or one package of a module ("java.desktop/java/beans", which Jackson reads). */
    private static final String[] JDK_MODULES = {"java.base", "java.sql", "java.logging", "java.naming",
        "java.management", "jdk.management", "jdk.management.jfr", "jdk.jfr", "java.xml", "jdk.unsupported",
        "java.net.http", "jdk.net", "jdk.zipfs", "java.desktop/java/beans"};

    private static boolean wanted(String jar) {
        return !(jar.startsWith("bcprov") || jar.startsWith("s3-") || jar.startsWith("sdk-core")
                || jar.startsWith("httpc") || jar.startsWith("regions-") || jar.startsWith("aws-")
                || jar.startsWith("third-party-jackson") || jar.startsWith("apache5-"));
    }

    private static int load(String resource, ClassLoader loader) {
        if (!resource.endsWith(".class") || resource.endsWith("module-info.class") || resource.startsWith("META-INF")) {
            return 0;
        }
        try {
            Class.forName(resource.substring(0, resource.length() - 6).replace('/', '.'), false, loader);
            return 1;
        } catch (Throwable ignored) {
            return 0; // an optional dependency's class: tidemark does not use it either
        }
    }

    public static void main(String[] args) throws Throwable {
        ClassLoader loader = Preloaded.class.getClassLoader();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                if (!p.endsWith(Path.of("target", "classes"))) {
                    continue; // this class's own directory
                }
                try (Stream<Path> s = Files.walk(p)) {
                    for (Path c : s.filter(Files::isRegularFile).toList()) {
                        load(p.relativize(c).toString(), loader);
                    }
                }
            } else if (wanted(p.getFileName().toString()) && Files.isRegularFile(p)) {
                try (ZipFile z = new ZipFile(p.toFile())) {
                    for (Enumeration<? extends ZipEntry> en = z.entries(); en.hasMoreElements(); ) {
                        load(en.nextElement().getName(), loader);
                    }
                }
            }
        }
        // The JDK's own classes too, from the modules tidemark uses: the JVM reads lib/modules with pread(2), and a
        // class it cannot read while it builds the error for another ends in a stack overflow inside the JVM.
        try (java.nio.file.FileSystem jrt = java.nio.file.FileSystems.getFileSystem(java.net.URI.create("jrt:/"))) {
            for (String module : JDK_MODULES) {
                String name = module.contains("/") ? module.substring(0, module.indexOf('/')) : module;
                Path root = jrt.getPath("/modules", name);
                try (Stream<Path> s = Files.walk(jrt.getPath("/modules", module))) {
                    for (Path c : s.filter(Files::isRegularFile).toList()) {
                        load(root.relativize(c).toString(), loader);
                    }
                }
            }
        } catch (UnsupportedOperationException closingTheBuiltInOne) {
            // jrt:/ is not closeable: nothing to do
        }
        Files.createFile(Path.of(System.getProperty("tidemark.preloaded")));
        dev.tidemark.cli.Main.main(args);
    }
}
