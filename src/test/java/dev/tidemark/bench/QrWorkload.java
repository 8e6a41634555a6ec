package dev.tidemark.bench;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.client.j2se.MatrixToImageWriter;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Generates the "qr" benchmark workload, a QR Code Master state tree, deterministically from a seed:
 * {@code config/settings.json}, {@code output/qrcodes/*.png} (real QR codes from zxing, of URLs and texts),
 * {@code uploads/*.jpg} (photos sent for decoding: a QR code on a noisy gradient, JPEG-encoded) and
 * {@code logs/app.log}.
 *
 * <p>usage: QrWorkload DIR CODES UPLOADS [SEED]
 */
public final class QrWorkload {
    private QrWorkload() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int codes = Integer.parseInt(args[1]);
        int uploads = Integer.parseInt(args[2]);
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 42;
        generate(dir, codes, uploads, new Random(seed));
    }

    static void generate(Path dir, int codes, int uploads, Random r) throws IOException, WriterException {
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/settings.json"), """
                { "default_error_correction": "H", "image_format": "PNG", "qrcode_version": 1, "border_size": 4,
                  "log_retention_days": 7, "auto_backup_enabled": true, "backup_interval_hours": 24 }
                """);
        QRCodeWriter writer = new QRCodeWriter();
        ErrorCorrectionLevel[] levels = ErrorCorrectionLevel.values();
        Path out = Files.createDirectories(dir.resolve("output/qrcodes"));
        StringBuilder log = new StringBuilder();
        for (int i = 0; i < codes; i++) {
            String text = r.nextBoolean()
                    ? "https://example.invalid/item/" + Long.toString(r.nextLong() & Long.MAX_VALUE, 36)
                    : "WIFI:T:WPA;S:net" + r.nextInt(1000) + ";P:" + Long.toString(r.nextLong(), 36) + ";;";
            ErrorCorrectionLevel level = levels[r.nextInt(levels.length)];
            int size = 200 + 50 * r.nextInt(5);
            BitMatrix m = writer.encode(text, BarcodeFormat.QR_CODE, size, size,
                    Map.of(EncodeHintType.ERROR_CORRECTION, level, EncodeHintType.MARGIN, 4));
            MatrixToImageWriter.writeToPath(m, "PNG", out.resolve(String.format("qr-%05d.png", i)));
            log.append(String.format("2026-11-%02d %02d:%02d:%02d INFO generated qr-%05d.png level=%s size=%d%n",
                    1 + i % 28, i / 3600 % 24, i / 60 % 60, i % 60, i, level, size));
        }
        Path up = Files.createDirectories(dir.resolve("uploads"));
        for (int i = 0; i < uploads; i++) {
            BufferedImage img = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setPaint(new GradientPaint(0, 0, new Color(r.nextInt(0xffffff)), 640, 480, new Color(r.nextInt(0xffffff))));
            g.fillRect(0, 0, 640, 480);
            g.dispose();
            BitMatrix m = writer.encode("scan " + i + " " + r.nextLong(), BarcodeFormat.QR_CODE, 240, 240);
            int ox = 40 + r.nextInt(340);
            int oy = 40 + r.nextInt(180);
            for (int y = 0; y < 480; y++) {
                for (int x = 0; x < 640; x++) {
                    int noise = r.nextInt(24) - 12;
                    int rgb = img.getRGB(x, y);
                    if (x >= ox && x < ox + 240 && y >= oy && y < oy + 240) {
                        rgb = m.get(x - ox, y - oy) ? 0x202020 : 0xf0f0f0;
                    }
                    int cr = clamp(((rgb >> 16) & 0xff) + noise);
                    int cg = clamp(((rgb >> 8) & 0xff) + noise);
                    int cb = clamp((rgb & 0xff) + noise);
                    img.setRGB(x, y, (cr << 16) | (cg << 8) | cb);
                }
            }
            ImageIO.write(img, "jpg", up.resolve(String.format("scan-%05d.jpg", i)).toFile());
            log.append(String.format("2026-11-%02d 12:00:00 INFO decoded scan-%05d.jpg%n", 1 + i % 28, i));
        }
        Files.createDirectories(dir.resolve("logs"));
        Files.writeString(dir.resolve("logs/app.log"), log.toString(), StandardCharsets.UTF_8);
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
