import Foundation

/// Bar charts drawn as inline SVG by the service: no script, no font, nothing fetched.
///
/// Widths are percentages of the chart's width and heights are pixels, so a chart fills a phone's screen or a laptop's
/// column while its text keeps the page's size. Every bar carries its figure as `<text>` and an accessible `<title>`;
/// the chart's `<title>` and `<desc>` say the whole chart in words.
enum SVGChart {
    /// One bar.
    struct Bar {
        /// A stable key (the choice's code), kept as `data-key`.
        var key: String
        /// What people read.
        var label: String
        var value: Double
        /// The value as written on the bar.
        var display: String
        /// A fill colour, else the chart's.
        var color: String? = nil
        /// What the bar's accessible title calls it, else the label.
        var title: String? = nil

        var spoken: String { title ?? label }
    }

    /// Horizontal bars, one row each: the label above, the bar below with its figure at its end.
    static func horizontal(id: String, title: String, bars: [Bar], color: String, total: String?, text: DashboardText) -> String {
        let rowHeight = 34, top = total == nil ? 4 : 24
        let height = bars.isEmpty ? 40 : top + bars.count * rowHeight + 2
        let maxValue = bars.map(\.value).max() ?? 0
        var out = open(id: id, title: title, height: height, bars: bars, text: text)
        if let total { out += #"<text class="total" x="0" y="14">\#(HTML.escape(total))</text>"# }
        if bars.isEmpty { out += empty(y: 24, text: text) }
        for (i, bar) in bars.enumerated() {
            let y = top + i * rowHeight
            // At most 80 % of the width, so the figure after the longest bar still fits.
            let width = maxValue > 0 ? max(bar.value > 0 ? 0.6 : 0, bar.value / maxValue * 80) : 0
            out += #"<g class="bar" data-key="\#(HTML.escape(bar.key))"><title>\#(HTML.escape(text.labelled(bar.spoken, bar.display)))</title>"#
            out += #"<text class="lbl" x="0" y="\#(y + 12)">\#(HTML.escape(shortened(bar.label)))</text>"#
            out += #"<rect x="0" y="\#(y + 17)" width="\#(pct(width))" height="13" rx="2" fill="\#(bar.color ?? color)"/>"#
            out += #"<text class="val" x="\#(pct(width))" dx="6" y="\#(y + 28)">\#(HTML.escape(bar.display))</text></g>"#
        }
        return out + "</svg>"
    }

    /// Vertical bars side by side (months): the figure above each bar, the label under it on up to two lines.
    static func columns(
        id: String, title: String, bars: [Bar], sublabels: [String?], color: String, total: String?,
        text: DashboardText
    ) -> String {
        let top = total == nil ? 8 : 30, plot = 140, height = top + plot + 38
        let maxValue = bars.map(\.value).max() ?? 0
        var out = open(id: id, title: title, height: height, bars: bars, text: text)
        if let total { out += #"<text class="total" x="0" y="14">\#(HTML.escape(total))</text>"# }
        if bars.isEmpty { return out + empty(y: top + 40, text: text) + "</svg>" }
        let baseline = top + plot
        out += #"<line class="axis" x1="0" x2="100%" y1="\#(baseline)" y2="\#(baseline)"/>"#
        let slot = 100.0 / Double(bars.count)
        let barWidth = slot * (bars.count <= 2 ? 0.4 : 0.62)
        for (i, bar) in bars.enumerated() {
            let h = maxValue > 0 ? Int((bar.value / maxValue * Double(plot - 22)).rounded()) : 0
            let center = slot * (Double(i) + 0.5)
            out += #"<g class="bar" data-key="\#(HTML.escape(bar.key))"><title>\#(HTML.escape(text.labelled(bar.spoken, bar.display)))</title>"#
            out +=
                #"<rect x="\#(pct(center - barWidth / 2))" y="\#(baseline - h)" width="\#(pct(barWidth))" height="\#(h)" rx="2" "#
                + #"fill="\#(bar.color ?? color)"/>"#
            out += #"<text class="val" x="\#(pct(center))" y="\#(baseline - h - 6)" text-anchor="middle">\#(HTML.escape(bar.display))</text>"#
            out +=
                #"<text class="lbl" x="\#(pct(center))" y="\#(baseline + 16)" text-anchor="middle">\#(HTML.escape(shortened(bar.label, 14)))</text>"#
            if i < sublabels.count, let sub = sublabels[i] {
                out += #"<text class="sub" x="\#(pct(center))" y="\#(baseline + 31)" text-anchor="middle">\#(HTML.escape(sub))</text>"#
            }
            out += "</g>"
        }
        return out + "</svg>"
    }

    /// The opening tag, with the chart's title and a description listing every figure.
    private static func open(id: String, title: String, height: Int, bars: [Bar], text: DashboardText) -> String {
        let desc = bars.isEmpty ? text.noData : bars.map { text.labelled($0.spoken, $0.display) }.joined(separator: " ; ")
        return #"<svg id="\#(id)" class="chart-svg" width="100%" height="\#(height)" role="img" "#
            + #"aria-labelledby="\#(id)-title \#(id)-desc" xmlns="http://www.w3.org/2000/svg">"#
            + #"<title id="\#(id)-title">\#(HTML.escape(title))</title><desc id="\#(id)-desc">\#(HTML.escape(desc))</desc>"#
    }

    private static func empty(y: Int, text: DashboardText) -> String {
        #"<text class="empty" x="0" y="\#(y)">\#(HTML.escape(text.noData))</text>"#
    }

    /// A percentage for an SVG length.
    private static func pct(_ x: Double) -> String { String(format: "%.2f%%", x) }

    /// A label cut to fit a narrow screen (the full one is in the bar's title).
    static func shortened(_ label: String, _ limit: Int = 44) -> String {
        label.count <= limit ? label : String(label.prefix(limit - 1)).trimmingCharacters(in: .whitespaces) + "…"
    }
}
