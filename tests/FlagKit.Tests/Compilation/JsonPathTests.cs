using FlagKit.Compilation;

namespace FlagKit.Tests.Compilation;

public sealed class JsonPathTests
{
    [Test]
    public void ToString_RootsPropertiesAndItems_FormatAsJsonPaths()
    {
        var flag = new JsonPath("$.flags", 3);
        var rule = flag.Item("rules", 0);
        var values = rule.Item("conditions", 1).Property("values");

        Assert.That(new JsonPath("$").ToString(), Is.EqualTo("$"));
        Assert.That(flag.ToString(), Is.EqualTo("$.flags[3]"));
        Assert.That(values.ToString(), Is.EqualTo("$.flags[3].rules[0].conditions[1].values"));
        Assert.That(values.Item(2).ToString(), Is.EqualTo("$.flags[3].rules[0].conditions[1].values[2]"));
        Assert.That(flag.Property("variants").Property("on").ToString(), Is.EqualTo("$.flags[3].variants.on"));
        Assert.That(rule.ToString(), Is.EqualTo("$.flags[3].rules[0]"), "a child does not change its parent");
    }

    [Test]
    public void ToString_DeeperThanTheInlineSteps_StillTheWholePath()
    {
        var path = new JsonPath("$");
        for (var i = 0; i < 12; i++)
        {
            path = path.Item("a", i);
        }

        Assert.That(path.ToString(), Is.EqualTo("$" + string.Concat(Enumerable.Range(0, 12).Select(i => $".a[{i}]"))));
    }
}
