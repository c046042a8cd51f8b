import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/auth/auth.decorators';
import { AuditService } from './audit.service';
import { AuditQueryDto } from './dto/audit-query.dto';
import { AuditPageDto } from './dto/audit-record-response.dto';

/** The audit log under `/1/`, admin only. Bare objects; errors `{message}`. */
@ApiTags('Audit')
@Controller('1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Authenticated({ admin: true })
  @ApiOperation({
    operationId: 'listAuditRecords',
    summary: 'Audit records, newest first: admin changes (users, keys, prices, SSO apps) and logins; filter by time, actor, action, target; keyset pages',
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiBadRequestResponse({ description: 'a filter out of range (from, to, actor_id, action, target, limit), to not after from, or a cursor this route did not give' })
  list(@Query() query: AuditQueryDto): Promise<AuditPageDto> {
    return this.audit.list(query);
  }
}
