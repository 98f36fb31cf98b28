namespace FlagKit.Server.WebConsole;

/// <summary>A side-by-side line diff (longest common subsequence) of two small texts, for the history page.</summary>
internal static class LineDiff
{
    /// <summary>Texts longer than this (lines, either side) are shown side by side without matching.</summary>
    public const int MaxLines = 2000;

    /// <summary>Pairs of lines: equal lines side by side, removed lines on the left only, added on the right only.</summary>
    /// <param name="left">The older text's lines.</param>
    /// <param name="right">The newer text's lines.</param>
    /// <returns>The rows, in order.</returns>
    public static IReadOnlyList<DiffRow> Compare(IReadOnlyList<string> left, IReadOnlyList<string> right)
    {
        if (left.Count > MaxLines || right.Count > MaxLines)
        {
            return Enumerable.Range(0, Math.Max(left.Count, right.Count))
                .Select(i => new DiffRow(i < left.Count ? left[i] : null, i < right.Count ? right[i] : null, i >= left.Count || i >= right.Count || left[i] != right[i]))
                .ToList();
        }

        var lengths = new int[left.Count + 1, right.Count + 1];
        for (var i = left.Count - 1; i >= 0; i--)
        {
            for (var j = right.Count - 1; j >= 0; j--)
            {
                lengths[i, j] = left[i] == right[j] ? lengths[i + 1, j + 1] + 1 : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
            }
        }

        var rows = new List<DiffRow>();
        int a = 0, b = 0;
        while (a < left.Count || b < right.Count)
        {
            if (a < left.Count && b < right.Count && left[a] == right[b])
            {
                rows.Add(new DiffRow(left[a++], right[b++], false));
            }
            else if (b < right.Count && (a == left.Count || lengths[a, b + 1] >= lengths[a + 1, b]))
            {
                rows.Add(new DiffRow(null, right[b++], true));
            }
            else
            {
                rows.Add(new DiffRow(left[a++], null, true));
            }
        }

        return rows;
    }
}
