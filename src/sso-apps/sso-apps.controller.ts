import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../common/auth/auth.decorators';
import type { Principal } from '../common/auth/principal';
import { GenerateSsoTokenDto } from './dto/generate-sso-token.dto';
import {
  ack,
  SsoAckResponseDto,
  SsoAppContentResponseDto,
  SsoAppListResponseDto,
  SsoDeleteBatchResponseDto,
  SsoGenerateResponseDto,
  SsoUpdateResponseDto,
} from './dto/sso-app-response.dto';
import { SsoAppNameDto } from './dto/sso-app-name.dto';
import { SsoLinkDto } from './dto/sso-link.dto';
import { UpdateSsoAppDto } from './dto/update-sso-app.dto';
import { SsoAppsService } from './sso-apps.service';

/**
 * Seed 004's token app config API, admin only (others get 403 `no permission`).
 * Bodies form-encoded (as the seed says) or JSON; answers `{msg, success}`, errors `{success:false, msg, code}`.
 */
@ApiTags('SSO Token Apps')
@ApiConsumes('application/x-www-form-urlencoded', 'application/json')
@ApiForbiddenResponse({ description: 'no permission (the caller is not an admin)' })
@Authenticated()
@Controller('plugin/datafor-modeler/api/token')
export class SsoAppsController {
  constructor(private readonly apps: SsoAppsService) {}

  @Post('update')
  @HttpCode(200)
  @ApiOperation({ operationId: 'updateSsoApp', summary: 'Add or modify a token app (upsert by name); a weak HS secret is saved with a warning, and refuses logins until replaced' })
  @ApiBody({
    type: UpdateSsoAppDto,
    examples: {
      seed004: {
        summary: 'seed 004 request example',
        value: {
          name: 'ERP',
          token_name: 'token',
          secret: 'abcd',
          expire: 86400,
          fieldmap: { username: 'loginname', name: 'name', email: 'email' },
          algorithm: 'HS256',
          enable: '1',
          inituser: '1',
          initroles: ['SYS_Reader'],
        },
      },
    },
  })
  @ApiOkResponse({ type: SsoUpdateResponseDto, example: { msg: 'success', success: true } })
  @ApiBadRequestResponse({ description: 'a field is invalid (the message names it)' })
  update(@CurrentUser() actor: Principal, @Body() dto: UpdateSsoAppDto): Promise<SsoUpdateResponseDto> {
    return this.apps.upsert(actor, dto);
  }

  @Get('list')
  @ApiOperation({ operationId: 'listSsoApps', summary: 'All token apps, secrets masked' })
  @ApiOkResponse({ type: SsoAppListResponseDto })
  async list(@CurrentUser() actor: Principal): Promise<SsoAppListResponseDto> {
    return ack({ data: await this.apps.list(actor) });
  }

  @Get('content')
  @ApiOperation({ operationId: 'getSsoApp', summary: 'One token app by name, secret masked' })
  @ApiOkResponse({ type: SsoAppContentResponseDto })
  @ApiNotFoundResponse({ description: 'no such app' })
  async content(@CurrentUser() actor: Principal, @Query() query: SsoAppNameDto): Promise<SsoAppContentResponseDto> {
    return ack({ data: await this.apps.content(actor, query.name) });
  }

  @Post('delete')
  @HttpCode(200)
  @ApiOperation({ operationId: 'deleteSsoApp', summary: 'Delete one token app (and its user links)' })
  @ApiOkResponse({ type: SsoAckResponseDto })
  @ApiNotFoundResponse({ description: 'no such app' })
  async remove(@CurrentUser() actor: Principal, @Body() dto: SsoAppNameDto): Promise<SsoAckResponseDto> {
    await this.apps.remove(actor, dto.name);
    return ack();
  }

  @Post('deleteBatch')
  @HttpCode(200)
  @ApiOperation({ operationId: 'deleteSsoApps', summary: 'Delete several token apps in one transaction; unknown names are skipped' })
  @ApiBody({
    description: 'the names: form fields `names=ERP&names=CRM`, JSON `{"names": ["ERP", "CRM"]}`, or a bare JSON array `["ERP", "CRM"]`',
    schema: {
      type: 'object',
      required: ['names'],
      properties: { names: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 500, example: ['ERP', 'CRM'] } },
    },
    encoding: { names: { style: 'form', explode: true } },
  })
  @ApiBadRequestResponse({ description: 'names missing, empty, over 500, or not token app names' })
  @ApiOkResponse({ type: SsoDeleteBatchResponseDto })
  async removeBatch(@CurrentUser() actor: Principal, @Body() body: unknown): Promise<SsoDeleteBatchResponseDto> {
    return ack({ data: await this.apps.removeBatch(actor, body) });
  }

  @Post('link')
  @HttpCode(200)
  @ApiOperation({ operationId: 'linkSsoUser', summary: 'Let an app sign in an existing user (one it did not create): its JWTs must carry exactly that user name' })
  @ApiOkResponse({ type: SsoAckResponseDto })
  @ApiNotFoundResponse({ description: 'no such app or user' })
  @ApiConflictResponse({ description: "the name is linked to another user of the app's" })
  async link(@CurrentUser() actor: Principal, @Body() dto: SsoLinkDto): Promise<SsoAckResponseDto> {
    await this.apps.link(actor, dto);
    return ack();
  }

  @Post('unlink')
  @HttpCode(200)
  @ApiOperation({ operationId: 'unlinkSsoUser', summary: 'Stop an app signing in a user' })
  @ApiOkResponse({ type: SsoAckResponseDto })
  @ApiNotFoundResponse({ description: 'no such app or user, or no link' })
  async unlink(@CurrentUser() actor: Principal, @Body() dto: SsoLinkDto): Promise<SsoAckResponseDto> {
    await this.apps.unlink(actor, dto);
    return ack();
  }

  @Post('generate')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'generateSsoToken',
    summary:
      "Sign a token for an app as Datafor does: claims from payload (username, name, email renamed through fieldmap; others carried), " +
      'exp = now + expire; RS*/ES* apps sign with privateKey (never stored), HS* apps with the stored secret',
  })
  @ApiBody({
    type: GenerateSsoTokenDto,
    examples: {
      json: { summary: 'Datafor JSON', value: { name: 'ERP', privateKey: 'abcd', payload: { username: 'admin', name: 'ERP', roles: ['SYS_CREATOR', 'Manager'] } } },
      form: { summary: 'Datafor form fields', value: { name: 'ERP', privateKey: 'abcd', username: 'admin' } },
    },
  })
  @ApiOkResponse({ type: SsoGenerateResponseDto })
  @ApiBadRequestResponse({ description: 'privateKey missing (RS*/ES*), unparseable or not the app key; payload.username missing; a payload field refused' })
  @ApiNotFoundResponse({ description: 'no such app' })
  async generate(@CurrentUser() actor: Principal, @Body() dto: GenerateSsoTokenDto): Promise<SsoGenerateResponseDto> {
    return ack(await this.apps.generate(actor, dto));
  }
}
