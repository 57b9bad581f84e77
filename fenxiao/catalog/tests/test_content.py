"""Rich descriptions: only the safe subset survives, whatever path writes a product."""

import pytest

from fenxiao.catalog import services
from fenxiao.catalog.content import clean_description, own_media_url
from fenxiao.catalog.errors import CatalogError
from fenxiao.catalog.models import Product
from tests.factories import CategoryFactory, ProductFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>好用</p><script>alert(1)</script>", "<p>好用</p>"),
        ('<p onclick="steal()" style="color:red">好用</p>', "<p>好用</p>"),
        ('<img src="/media/products/a.jpg" onerror="steal()" alt="图">', '<p><img src="/media/products/a.jpg" alt="图"></p>'),
        ('<img src="https://evil.example/x.png">', ""),
        ('<img src="//evil.example/x.png">', ""),
        ('<img src="javascript:alert(1)">', ""),
        ('<img src="data:image/png;base64,AAAA">', ""),
        ('<img src="/media/../admin/x.png">', ""),
        ('<img src="/static/web/x.png">', ""),
        ('<a href="javascript:alert(1)">点我</a>', "<p>点我</p>"),
        ("<style>p{}</style><iframe src=/x></iframe><b>粗</b>", "<p><b>粗</b></p>"),
        ("<svg><script>alert(1)</script></svg><em>斜</em>", "<p><em>斜</em></p>"),
        ("<ul><li>一</li><li>二</li></ul><ol><li>三</li></ol>", "<ul><li>一</li><li>二</li></ul><ol><li>三</li></ol>"),
        ("<h3>标题</h3><h1>大标题</h1>", "<h3>标题</h3>大标题"),
        ("<p>未闭合<b>粗", "<p>未闭合<b>粗</b></p>"),
        ("<!-- 备注 --><p>正文</p>", "<p>正文</p>"),
    ],
)
def test_only_the_safe_subset_survives(raw, expected):
    assert clean_description(raw) == expected


def test_plain_text_becomes_escaped_paragraphs():
    assert clean_description("第一行\n第二行\n\n第二段 a < b & c") == "<p>第一行<br>第二行</p>\n\n<p>第二段 a &lt; b &amp; c</p>"
    assert clean_description("<b>新品</b>上市\n\n限量") == "<p><b>新品</b>上市</p>\n\n<p>限量</p>"


@pytest.mark.parametrize(
    "raw",
    ['<p>一<b>二</b></p><img src="/media/a.jpg" width="300">', "纯文本\n\n两段", "<ul><li>x</li></ul>", ""],
)
def test_cleaning_is_idempotent(raw):
    once = clean_description(raw)
    assert clean_description(once) == once


def test_image_sizes_are_numbers_only():
    assert clean_description('<img src="/media/a.jpg" width="100%" height="20">') == '<p><img src="/media/a.jpg" height="20"></p>'


def test_media_url_check(settings):
    settings.MEDIA_URL = "/media/"
    assert own_media_url("/media/products/2026/01/a.jpg")
    for bad in ("/media/../x", "/media/%2e%2e/x", "/mediax/a.jpg", "/media\\a.jpg", "//media/a.jpg", "/media/a.jpg?x=1"):
        assert not own_media_url(bad), bad
    settings.MEDIA_URL = "https://cdn.example/media/"
    assert not own_media_url("/media/a.jpg")


@pytest.mark.django_db
def test_every_write_path_stores_the_sanitised_form():
    category = CategoryFactory()
    created = services.create_product(
        category=category, name="精华", description='<p onmouseover="x()">好</p><script>x()</script>'
    )
    assert Product.objects.get(pk=created.pk).description == "<p>好</p>"
    services.update_product(product=created, description="<b>粗</b><img src=https://evil.example/a.png>")
    assert Product.objects.get(pk=created.pk).description == "<p><b>粗</b></p>"
    direct = ProductFactory(description="<p>ok</p><img src=x onerror=alert(1)>")
    assert Product.objects.get(pk=direct.pk).description == "<p>ok</p>"


@pytest.mark.django_db
def test_overlong_descriptions_are_refused():
    with pytest.raises(CatalogError) as caught:
        services.create_product(category=CategoryFactory(), name="长", description="x" * 20001)
    assert caught.value.code == "invalid_product" and caught.value.detail == {"field": "description"}
