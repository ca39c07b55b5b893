package org.verbo.models.train;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** A loss-curve PNG drawn with Java2D (headless), so no charting dependency is needed. */
public final class LossCurvePlot {
    private LossCurvePlot() {
    }

    /** One named series of (x, y) points. */
    public record Series(String name, double[] x, double[] y, Color color) {
    }

    /** Writes the PNG via a temp file + rename. */
    public static void write(Path png, String title, String xLabel, List<Series> series) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 900;
        int h = 560;
        int left = 80;
        int right = 30;
        int top = 50;
        int bottom = 60;
        double minX = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY;
        double maxY = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isFinite(s.y()[i])) {
                    minX = Math.min(minX, s.x()[i]);
                    maxX = Math.max(maxX, s.x()[i]);
                    minY = Math.min(minY, s.y()[i]);
                    maxY = Math.max(maxY, s.y()[i]);
                }
            }
        }
        if (!Double.isFinite(minX)) {
            minX = 0;
            maxX = 1;
            minY = 0;
            maxY = 1;
        }
        if (maxX == minX) {
            maxX = minX + 1;
        }
        if (maxY == minY) {
            maxY = minY + 1;
        }
        double padY = 0.05 * (maxY - minY);
        minY -= padY;
        maxY += padY;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int pw = w - left - right;
        int ph = h - top - bottom;
        g.setColor(new Color(230, 230, 230));
        for (int i = 0; i <= 5; i++) {
            int y = top + ph * i / 5;
            g.drawLine(left, y, left + pw, y);
            int x = left + pw * i / 5;
            g.drawLine(x, top, x, top + ph);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        for (int i = 0; i <= 5; i++) {
            double yv = maxY - (maxY - minY) * i / 5;
            g.drawString(String.format(Locale.ROOT, "%.3f", yv), 10, top + ph * i / 5 + 4);
            double xv = minX + (maxX - minX) * i / 5;
            g.drawString(String.format(Locale.ROOT, "%.0f", xv), left + pw * i / 5 - 10, top + ph + 18);
        }
        g.drawString(xLabel, left + pw / 2 - 15, h - 15);
        g.drawString("loss", 10, top - 10);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 30);
        g.setStroke(new BasicStroke(2f));
        int legendY = top + 20;
        for (Series s : series) {
            g.setColor(s.color());
            int px = -1;
            int py = -1;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                int x = left + (int) Math.round((s.x()[i] - minX) / (maxX - minX) * pw);
                int y = top + (int) Math.round((maxY - s.y()[i]) / (maxY - minY) * ph);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 2, y - 2, 4, 4);
                px = x;
                py = y;
            }
            g.fillRect(left + pw - 180, legendY - 8, 14, 4);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(s.name(), left + pw - 160, legendY - 2);
            legendY += 18;
        }
        g.dispose();
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ImageIO.write(img, "png", tmp.toFile());
        Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
