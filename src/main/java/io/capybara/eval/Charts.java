package io.capybara.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.StackedBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The evaluation's plots, written as PNG files (headless JFreeChart). */
public final class Charts {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 540;

    private Charts() {
    }

    /**
     * Stacked bars: one bar per system, one stack segment per step (the paper's Figure 4).
     *
     * @param steps system -> (step name -> value), insertion-ordered
     */
    public static void stackedBars(Path png, String title, String valueAxis, Map<String, Map<String, Double>> steps)
            throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        // One series per step name: bars that share a step (same system, other queue size) share
        // its colour and legend entry.
        for (Map.Entry<String, Map<String, Double>> system : steps.entrySet()) {
            for (Map.Entry<String, Double> step : system.getValue().entrySet()) {
                data.addValue(step.getValue(), step.getKey(), system.getKey());
            }
        }
        JFreeChart chart = org.jfree.chart.ChartFactory.createStackedBarChart(title, "", valueAxis, data,
                PlotOrientation.HORIZONTAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        StackedBarRenderer r = (StackedBarRenderer) plot.getRenderer();
        r.setShadowVisible(false);
        r.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT + 40 * steps.size());
    }

    /** Empirical CDFs, one line per series, optional log x axis (the paper's Figure 5). */
    public static void cdf(Path png, String title, String xAxis, Map<String, double[]> samples, boolean logX)
            throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, double[]> e : samples.entrySet()) {
            double[] v = e.getValue().clone();
            java.util.Arrays.sort(v);
            XYSeries s = new XYSeries(e.getKey(), true, true);
            int points = Math.min(v.length, 2000); // enough to draw, small enough to plot fast
            for (int i = 0; i < points; i++) {
                int idx = (int) ((long) i * (v.length - 1) / Math.max(1, points - 1));
                s.add(Math.max(v[idx], logX ? 1e-3 : v[idx]), (idx + 1) / (double) v.length);
            }
            data.addSeries(s);
        }
        JFreeChart chart = org.jfree.chart.ChartFactory.createXYLineChart(title, xAxis, "fraction of migrations", data,
                PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        if (logX) {
            plot.setDomainAxis(logAxis(xAxis));
        }
        style(plot, false);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    }

    /** {@link #lines} over a logarithmic x axis (e.g. connection counts from 144 to a million). */
    public static void linesLogX(Path png, String title, String xAxis, String yAxis, Map<String, List<double[]>> series)
            throws IOException {
        JFreeChart chart = lineChart(title, xAxis, yAxis, series);
        XYPlot plot = chart.getXYPlot();
        plot.setDomainAxis(logAxis(xAxis));
        style(plot, true);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    }

    /** Lines through points, one per series (the paper's Figure 1, and the skew sweep). */
    public static void lines(Path png, String title, String xAxis, String yAxis, Map<String, List<double[]>> series,
                             boolean logY) throws IOException {
        JFreeChart chart = lineChart(title, xAxis, yAxis, series);
        XYPlot plot = chart.getXYPlot();
        if (logY) {
            plot.setRangeAxis(logAxis(yAxis));
        }
        style(plot, true);
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
    }

    /** A line chart of {@code series}: per name, (x, y) points. */
    private static JFreeChart lineChart(String title, String xAxis, String yAxis, Map<String, List<double[]>> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey(), true, true);
            for (double[] p : e.getValue()) {
                s.add(p[0], p[1]);
            }
            data.addSeries(s);
        }
        return org.jfree.chart.ChartFactory.createXYLineChart(title, xAxis, yAxis, data,
                PlotOrientation.VERTICAL, true, false, false);
    }

    /** A log axis labelled with plain numbers (1, 10, 100, ...) rather than powers of ten. */
    private static LogAxis logAxis(String label) {
        LogAxis axis = new LogAxis(label);
        axis.setBase(10);
        axis.setAutoTickUnitSelection(false);
        axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1)); // one tick per power of ten
        axis.setNumberFormatOverride(new java.text.DecimalFormat("#,##0.###"));
        axis.setMinorTickMarksVisible(true);
        return axis;
    }

    /** Dark, distinct line colours (JFreeChart's defaults include yellow and light cyan). */
    private static final Color[] PALETTE = {new Color(0xD62728), new Color(0x1F77B4), new Color(0x2CA02C),
            new Color(0xFF7F0E), new Color(0x9467BD), new Color(0x8C564B), new Color(0xE377C2), new Color(0x17BECF),
            new Color(0x7F7F7F), new Color(0xBCBD22)};

    private static void style(XYPlot plot, boolean shapes) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, shapes);
        for (int i = 0; i < plot.getDataset().getSeriesCount(); i++) {
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        plot.setRenderer(r);
    }

    /** Convenience for building ordered maps inline. */
    public static <K, V> Map<K, V> ordered() {
        return new LinkedHashMap<>();
    }
}
