using OrleansSocial.Media;

namespace OrleansSocial.Api.Tests;

public sealed class BlurhashTests
{
    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

    private static int Decode83(string text) => text.Aggregate(0, (value, c) => (value * 83) + Digits.IndexOf(c, StringComparison.Ordinal));

    private static double SrgbToLinear(int v) => v / 255.0 <= 0.04045 ? v / 255.0 / 12.92 : Math.Pow(((v / 255.0) + 0.055) / 1.055, 2.4);

    private static byte LinearToSrgb(double v)
    {
        v = Math.Clamp(v, 0, 1);
        return (byte)(v <= 0.0031308 ? (int)((v * 12.92 * 255) + 0.5) : (int)((((1.055 * Math.Pow(v, 1 / 2.4)) - 0.055) * 255) + 0.5));
    }

    private static byte[] Picture(int width, int height, Func<int, int, double> linear)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var v = LinearToSrgb(linear(x, y));
                pixels[((y * width) + x) * 3] = pixels[(((y * width) + x) * 3) + 1] = pixels[(((y * width) + x) * 3) + 2] = v;
            }
        }

        return pixels;
    }

    private static (int R, int G, int B) Ac(string hash, int k)
    {
        var value = Decode83(hash.Substring(4 + (2 * k), 2));
        return (value / 361, value / 19 % 19, value % 19);
    }

    // The algorithm as published (blurha.sh): factor(i, j) = norm / (w·h) · Σ cos(πix/w)·cos(πjy/h)·linear(x, y), norm 1 for the
    // average and 2 for the rest; maximum = (⌊max|AC|·166 − 0.5⌋ + 1) / 166; each AC channel ⌊√(v/maximum)·9 + 9.5⌋ clamped to
    // 0..18. For linear(x) = 0.5 + 0.25·cos(πx/32) on a 32-wide picture the sums are exact: Σcos(kπx/32) is 1 for odd k and 0
    // for even k ≠ 0, and Σcos²(πx/32) = 16. So AC(1) = 2/32·(0.5 + 4) = 0.28125 → maximum index 46 ('k'), quantised 18;
    // AC(2) = 2/32·0.25 = 0.015625 → 11; AC(3) = 2/32·0.5 = 0.03125 → 12; the average 0.5 + 0.25/32 → sRGB 189.
    [Fact]
    public void A_horizontal_cosine_gives_the_components_the_published_formulas_give()
    {
        var pixels = Picture(32, 8, (x, _) => 0.5 + (0.25 * Math.Cos(Math.PI * x / 32)));

        var hash = Blurhash.Encode(pixels, 32, 8, componentsX: 4, componentsY: 1);

        Assert.Equal(6 + (2 * 3), hash.Length);
        Assert.Equal('3', hash[0]); // (4 − 1) + (1 − 1)·9
        Assert.Equal('k', hash[1]);
        var dc = Decode83(hash[2..6]);
        Assert.InRange(dc >> 16, 188, 190);
        Assert.Equal(dc >> 16, (dc >> 8) & 255);
        Assert.Equal((18, 18, 18), Ac(hash, 1));
        Assert.Equal((11, 11, 11), Ac(hash, 2));
        Assert.Equal((12, 12, 12), Ac(hash, 3));
    }

    [Fact]
    public void A_plain_white_picture_is_its_colour_and_nothing_else()
    {
        var white = Enumerable.Repeat((byte)255, 8 * 8 * 3).ToArray();

        var hash = Blurhash.Encode(white, 8, 8, 1, 1);

        Assert.Equal("00TSUA", hash[..6]); // size 1×1, no AC, then 0xFFFFFF in base 83
        Assert.Equal(6, hash.Length);
        Assert.True(Blurhash.IsValid(Blurhash.Encode(white, 8, 8)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("LEHV6nWB2yk8pyo0adR*.7kCMdn")]
    [InlineData("LEHV6nWB2yk8pyo0adR*.7kCMdn!")]
    public void Malformed_hashes_are_not_valid(string hash) => Assert.False(Blurhash.IsValid(hash));
}
