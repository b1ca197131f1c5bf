using System.Globalization;

namespace ModeRefresh.Bench.Runner;

/// <summary>Median and range of one measurement over the runs: how every cell of the results is given.</summary>
internal readonly record struct Spread(double Median, double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).Order().ToArray();
        if (v.Length == 0) return new Spread(double.NaN, double.NaN, double.NaN);
        var median = v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        return new Spread(median, v[0], v[^1]);
    }

    /// <summary>"median (min–max)" with <paramref name="format"/>, e.g. "F0" or "F2", and a unit after the median.</summary>
    public string Format(string format, string unit = "") =>
        double.IsNaN(Median) ? "—" : $"{N(Median, format)}{unit} ({N(Min, format)}–{N(Max, format)})";

    private static string N(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    public string FormatMedian(string format) => double.IsNaN(Median) ? "—" : Median.ToString(format, CultureInfo.InvariantCulture);
}

internal static class Log
{
    public static void Line(string message) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[bench {DateTime.Now:HH:mm:ss}] {message}"));
}
