using System.Text;

namespace FlagKit.Cli.Output;

/// <summary>
/// A plain-text table with aligned columns: an upper-case header, two spaces between columns, no borders, no
/// colour (it is read at 3 a.m. and pasted into incident channels).
/// </summary>
internal sealed class Table
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<string[]> _rows = [];

    /// <summary>Creates a table. A header ending in <c>&gt;</c> marks a right-aligned (numeric) column.</summary>
    /// <param name="headers">Column headers.</param>
    public Table(params string[] headers)
    {
        _rightAligned = headers.Select(h => h.EndsWith('>')).ToArray();
        _headers = headers.Select(h => h.TrimEnd('>').ToUpperInvariant()).ToArray();
    }

    /// <summary>The number of rows added.</summary>
    public int Count => _rows.Count;

    /// <summary>Adds a row; missing cells are blank, extra cells are an error.</summary>
    /// <param name="cells">The cells, in column order.</param>
    public void Add(params string?[] cells)
    {
        if (cells.Length > _headers.Length)
        {
            throw new ArgumentException($"{cells.Length} cells for {_headers.Length} columns.", nameof(cells));
        }

        var row = new string[_headers.Length];
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = i < cells.Length ? (cells[i] ?? "").ReplaceLineEndings(" ") : "";
        }

        _rows.Add(row);
    }

    /// <summary>Writes the table; the last column is not padded (no trailing spaces).</summary>
    /// <param name="writer">Where to write.</param>
    public void WriteTo(TextWriter writer)
    {
        var widths = new int[_headers.Length];
        for (var i = 0; i < widths.Length; i++)
        {
            widths[i] = Math.Max(_headers[i].Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length));
        }

        WriteRow(writer, _headers, widths);
        foreach (var row in _rows)
        {
            WriteRow(writer, row, widths);
        }
    }

    private void WriteRow(TextWriter writer, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                line.Append("  ");
            }

            var last = i == cells.Length - 1;
            if (_rightAligned[i])
            {
                line.Append(cells[i].PadLeft(widths[i]));
            }
            else
            {
                line.Append(last ? cells[i] : cells[i].PadRight(widths[i]));
            }
        }

        writer.WriteLine(line.ToString().TrimEnd());
    }
}
